"""--precision=mixed_bfloat16: the workers' gradients computed in bfloat16 (Keras mixed precision) come out
float32 and close to float32's without being equal to them; such a run trains, evaluates in float32 and has
its own name; the float32 runs keep theirs; a bad value is refused."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import models
import training
from training import datasets
from training.config import RunConfig, derived_run_name
from training.errors import RunError
from training.gradients import METHODS, per_worker_gradients

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
datasets.register("synthetic", lambda *_: datasets.synthetic(train=256, test=100), model="mnist_mlp")

# derived_run_name(config) recorded from HEAD 7c9cd79, before RunConfig had a precision field: the float32
# runs must keep these folder names (precision enters the name only when it is not float32).
NAMES_BEFORE_THE_FIELD = {
    "default": "mnist-average-n30-f0-none-7d490784b5",  # RunConfig()
    "synthetic": "synthetic-average-n3-f0-none-4a5b4556af",  # _config(tmp_path) below
}


def _config(tmp_path, **changes):
    settings = dict(dataset="synthetic", gar="average", n=3, f=0, batch_size=8, lr0=0.2, lr_decay=100,
                    steps=12, eval_every=4, results_dir=str(tmp_path), seed=3)
    return RunConfig(**{**settings, **changes})


def _relative(a, b):
    return float(tf.norm(a - b) / tf.norm(b))


@pytest.mark.parametrize("method", METHODS)
def test_bf16_gradients_are_float32_and_close_to_float32s_but_not_equal(method):
    keras.utils.set_random_seed(0)
    model = models.get("mnist_mlp")()
    mixed = models.with_precision(model, "mixed_bfloat16")
    assert models.with_precision(model, "float32") is model
    assert all(layer.dtype_policy.compute_dtype == "bfloat16" and layer.dtype_policy.variable_dtype == "float32"
               for layer in mixed.layers)
    data = datasets.synthetic(train=256, test=10)
    index = np.random.default_rng(0).integers(0, 256, (5, 16))
    images, labels = data.normalise(data.train_images[index]), tf.constant(data.train_labels[index])
    values = [tf.convert_to_tensor(v) for v in model.trainable_variables]

    def gradients(model, values, images):
        return tf.function(lambda: per_worker_gradients(model, values, images, labels, 1e-4, method))()

    exact, exact_losses = gradients(model, values, images)
    bf16, bf16_losses = gradients(mixed, values, images)
    assert bf16.dtype == tf.float32 and bf16_losses.dtype == tf.float32 and bf16.shape == exact.shape
    assert not np.array_equal(bf16.numpy(), exact.numpy())  # the flag changes the compute
    # The float32 pass at the bf16-rounded parameters and images isolates bf16's arithmetic: ~2.5e-3 here,
    # about bf16's unit roundoff 2^-9 (8-bit mantissa). Against exact float32 the rounding of the parameters
    # and images (the gradient at a point 2^-9 away, relatively) dominates: 1.5e-2 here, up to 3.6e-2 for
    # other seeds and batches.
    rounded = [tf.cast(tf.cast(v, tf.bfloat16), tf.float32) for v in values]
    at_rounded, _ = gradients(model, rounded, tf.cast(tf.cast(images, tf.bfloat16), tf.float32))
    assert 1e-4 < _relative(bf16, at_rounded) < 1e-2
    assert _relative(bf16, exact) < 5e-2
    np.testing.assert_allclose(bf16_losses, exact_losses, rtol=2e-2)


def test_the_float32_names_are_those_before_the_field_and_mixed_bfloat16_has_its_own():
    assert derived_run_name(RunConfig()) == NAMES_BEFORE_THE_FIELD["default"]
    assert derived_run_name(RunConfig(precision="float32")) == NAMES_BEFORE_THE_FIELD["default"]
    assert derived_run_name(_config("x")) == NAMES_BEFORE_THE_FIELD["synthetic"]
    assert "precision" not in RunConfig().trajectory()
    assert RunConfig(precision="mixed_bfloat16").trajectory()["precision"] == "mixed_bfloat16"
    assert derived_run_name(RunConfig(precision="mixed_bfloat16")) != NAMES_BEFORE_THE_FIELD["default"]


def test_a_mixed_bfloat16_run_trains_evaluates_in_float32_and_has_its_own_folder(tmp_path):
    float32_dir = training.run(_config(tmp_path), progress=False)
    mixed_dir = training.run(_config(tmp_path, precision="mixed_bfloat16"), progress=False)
    assert os.path.basename(float32_dir) == NAMES_BEFORE_THE_FIELD["synthetic"]
    assert os.path.basename(mixed_dir) != os.path.basename(float32_dir)
    exact, mixed = training.read_metrics(float32_dir), training.read_metrics(mixed_dir)
    assert mixed["accuracy"][-1] > 0.5 > mixed["accuracy"][0]  # the stripes are learned
    # step 0: the same initial parameters, evaluated by the float32 model in both runs
    assert (mixed["accuracy"][0], mixed["test_loss"][0]) == (exact["accuracy"][0], exact["test_loss"][0])
    assert mixed["train_loss"][1] != exact["train_loss"][1]  # the gradients' pass ran in bfloat16
    np.testing.assert_allclose(mixed["train_loss"][1], exact["train_loss"][1], rtol=2e-2)
    with open(os.path.join(mixed_dir, "config.json")) as file:
        assert json.load(file)["precision"] == "mixed_bfloat16"
    with pytest.raises(RunError, match="precision='mixed_bfloat16'"):  # its folder is not a float32 run's
        training.run(_config(tmp_path, run_name=os.path.basename(mixed_dir)), progress=False)


def test_a_bad_precision_is_refused():
    with pytest.raises(RunError, match="precision must be one of float32, mixed_bfloat16, got 'float16'"):
        training.validate(RunConfig(precision="float16"))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-m", "experiments.run", "--precision=float16"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: flag --precision=float16: value should be one of <float32|mixed_bfloat16>"], done.stderr
