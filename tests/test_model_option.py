"""--model: a run trains another registered model than its dataset's own, e.g. the CIFAR-10 CNN's other reading
of section 5.1 (pool stride = pool size, `cifar10_cnn_pool_stride`); runs without it keep their names; a model
that is unknown or does not take the dataset's images is refused in one line."""

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import models
import training
from experiments.paper import figure_runs, settings
from training import datasets, gradients
from training.config import RunConfig, derived_run_name
from training.errors import RunError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
datasets.register("synthetic_cifar", lambda *_: datasets.synthetic(train=256, test=64, shape=(32, 32, 3),
                                                                  model="cifar10_cnn", name="synthetic_cifar"),
                  model="cifar10_cnn", train_size=256)
# registered without their model: the images' shape is known only once loaded
datasets.register("synthetic_bare", lambda *_: datasets.synthetic(train=64, test=16, name="synthetic_bare"))
datasets.register("synthetic_bare_cifar", lambda *_: datasets.synthetic(train=64, test=16, shape=(32, 32, 3),
                                                                        name="synthetic_bare_cifar"))

# derived_run_name(config) recorded before RunConfig had a model field: runs without it keep these names.
NAMES_BEFORE_THE_FIELD = {
    "default": "mnist-average-n30-f0-none-7d490784b5",  # RunConfig()
    "figure3-krum": "cifar10-krum-n39-f18-lp-6e493192c7",  # Figure 3's Krum run, paper preset, seed 1
    "synthetic_cifar": "synthetic_cifar-krum-n5-f1-lp-7bca0eff0c",  # _config(results) below
}


def _config(results_dir, **changes):
    settings_ = dict(dataset="synthetic_cifar", gar="krum", n=5, f=1, batch_size=4, lr0=0.05, lr_decay=100,
                     steps=3, eval_every=3, attack="lp", seed=2, results_dir=str(results_dir))
    return RunConfig(**{**settings_, **changes})


def test_runs_without_a_model_keep_their_names_and_a_model_names_its_own():
    planned, _ = figure_runs.plan(settings.get(3), "paper", "results", "../shared/data", [1])
    krum = next(run.config for run in planned if run.key == ("cifar10", "krum"))
    assert derived_run_name(RunConfig()) == NAMES_BEFORE_THE_FIELD["default"]
    assert derived_run_name(krum) == NAMES_BEFORE_THE_FIELD["figure3-krum"]
    assert derived_run_name(_config("results")) == NAMES_BEFORE_THE_FIELD["synthetic_cifar"]
    assert RunConfig().model is None and "model" not in RunConfig().trajectory()
    other = _config("results", model="cifar10_cnn_pool_stride")
    assert other.trajectory()["model"] == "cifar10_cnn_pool_stride"
    assert derived_run_name(other) != NAMES_BEFORE_THE_FIELD["synthetic_cifar"]


def test_the_other_cnn_reading_trains_on_cifar_shaped_images(tmp_path):
    run_dir = training.run(_config(tmp_path, model="cifar10_cnn_pool_stride"), progress=False)
    with open(os.path.join(run_dir, "config.json")) as file:
        saved = json.load(file)
    assert saved["finished"] and saved["model"] == "cifar10_cnn_pool_stride"
    assert saved["d"] == 314314 and saved["gradient_method"] == gradients.DEFAULT_METHOD["cifar10_cnn"]
    metrics = training.read_metrics(run_dir)
    np.testing.assert_array_equal(metrics["step"], np.arange(4))
    assert np.isfinite(metrics["train_loss"][1:]).all() and np.isfinite(metrics["accuracy"][[0, 3]]).all()
    assert (metrics["gamma"][1:] > 0).all()  # the lp attack ran against the d = 314,314 parameters
    with pytest.raises(RunError, match="model='cifar10_cnn_pool_stride'"):  # its folder is not a default run's
        training.run(_config(tmp_path, run_name=os.path.basename(run_dir)), progress=False)


def test_the_help_names_every_model():
    field = RunConfig.__dataclass_fields__["model"]
    assert all(name in field.metadata["help"] for name in models.names())


@pytest.mark.parametrize("changes, message", [
    ({"model": "resnet"}, "unknown model 'resnet'; known models: cifar10_cnn, cifar10_cnn_pool_stride, mnist_mlp"),
    ({"model": 3}, "unknown model 3; known models: "),
    ({"dataset": "mnist", "model": "cifar10_cnn"}, "model cifar10_cnn does not take mnist's 28x28x1 images"),
    ({"model": "mnist_mlp"}, "model mnist_mlp does not take synthetic_cifar's 32x32x3 images"),
])
def test_a_bad_model_is_one_line(tmp_path, changes, message):
    with pytest.raises(RunError) as error:
        training.validate(_config(tmp_path, **changes))
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_a_model_that_does_not_take_a_bare_dataset_s_images_fails_once_loaded(tmp_path):
    config = RunConfig(dataset="synthetic_bare", n=2, batch_size=4, steps=1, results_dir=str(tmp_path),
                       model="cifar10_cnn_pool_stride")
    training.validate(config)  # the dataset's images are unknown before it is loaded
    with pytest.raises(RunError, match=r"^model cifar10_cnn_pool_stride does not take synthetic_bare's 28x28x1 "
                                       r"images$"):
        training.run(config, progress=False)
    assert os.listdir(tmp_path) == []  # nothing written


def test_a_model_run_repeats_exactly_in_one_process(tmp_path):
    """Checking the model against the loaded images builds nothing between the seed and the model."""
    config = RunConfig(dataset="synthetic_bare_cifar", n=2, batch_size=4, steps=2, eval_every=2, seed=4,
                       model="cifar10_cnn_pool_stride")
    first, second = (training.read_metrics(training.run(dataclasses.replace(config, results_dir=str(folder)),
                                                        progress=False)) for folder in (tmp_path / "a", tmp_path / "b"))
    for column in ("train_loss", "accuracy", "test_loss"):
        np.testing.assert_array_equal(first[column], second[column], err_msg=column)


def test_the_flag_is_listed_and_a_bad_value_is_one_line():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    shown = subprocess.run([sys.executable, "-m", "experiments.run", "--help"], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0 and "--model" in shown.stdout and "cifar10_cnn_pool_stride" in shown.stdout
    done = subprocess.run([sys.executable, "-m", "experiments.run", "--model=resnet", "--steps=1"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: unknown model 'resnet'; known models: cifar10_cnn, cifar10_cnn_pool_stride, mnist_mlp"]
