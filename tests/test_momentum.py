"""Worker momentum (El Mhamdi, Guerraoui, Rouault, ICLR 2021): m <- beta m + (1 - dampening) g at every
worker that computes gradients, against a NumPy transcription; off (beta = 0) it changes nothing, not even
run names; the momenta are checkpointed."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import models
import training
from golden.runs import SHARED, GOLDEN_RUNS
from training import datasets, flat, step_state
from training.step import make_train_step, make_worker_gradients

datasets.register("synthetic", lambda *_: datasets.synthetic(train=256, test=100), model="mnist_mlp")


def _config(**changes):
    settings = dict(dataset="synthetic", gar="average", n=3, f=0, batch_size=5, lr0=0.5, lr_decay=10, seed=4)
    settings.update(changes)
    return training.RunConfig(**settings)


@pytest.mark.parametrize("beta, dampening", [(0.9, 0.0), (0.5, 0.5)])
def test_three_steps_equal_a_numpy_transcription(beta, dampening):
    config = _config(momentum=beta, momentum_dampening=dampening)
    data = datasets.synthetic(train=64, test=16)
    keras.utils.set_random_seed(0)
    model = models.mnist_mlp()
    params = tf.Variable(flat.flatten(model.trainable_variables))
    step = tf.Variable(0, dtype=tf.int64)
    state = step_state.create(config, int(params.shape[0]))
    assert state.momenta.shape == (3, params.shape[0]) and list(state.variables()) == ["momenta"]
    train_step, _ = make_train_step(config, model, data, params, step, "loop", state=state)
    gradients_at = tf.function(make_worker_gradients(config, model, data, "loop"))
    momenta = np.zeros(state.momenta.shape, np.float32)
    for t in range(3):
        x = params.numpy()
        gradients = gradients_at(tf.constant(t, tf.int64), tf.constant(x), 3)[0].numpy()
        momenta = np.float32(beta) * momenta + np.float32(1 - dampening) * gradients
        out = train_step()
        np.testing.assert_array_equal(state.momenta.numpy(), momenta)  # each product rounded, then the sum
        lr = 0.5 * 10 / (t + 10)
        np.testing.assert_allclose(params.numpy(), x - np.float32(lr) * momenta.mean(axis=0), rtol=1e-5, atol=1e-7)
        assert out["lr"].numpy() == pytest.approx(lr)
    assert not np.allclose(momenta, gradients, rtol=1e-3)  # the momenta are not the last gradients


def test_without_momentum_no_state_is_created():
    config = _config()
    assert step_state.create(config, 10).variables() == {}
    assert step_state.create(_config(momentum=0.9), 10).variables()["momenta"].shape == (3, 10)
    # under a whole-run attack only the n - f honest workers compute: n - f momenta
    attacked = _config(n=5, f=1, attack="signflip", momentum=0.9)
    assert step_state.create(attacked, 10).momenta.shape == (4, 10)
    windowed = _config(n=5, f=1, attack="signflip", momentum=0.9, attack_stop=3)
    assert step_state.create(windowed, 10).momenta.shape == (5, 10)


def test_new_fields_at_their_defaults_keep_the_run_names():
    """The names of runs recorded before momentum and heterogeneity existed (computed then)."""
    assert training.derived_run_name(training.RunConfig()) == "mnist-average-n30-f0-none-7d490784b5"
    golden = training.RunConfig(**SHARED, **GOLDEN_RUNS["krum-lp"], data_dir="x", results_dir="y")
    assert training.derived_run_name(golden) == "mnist-krum-n11-f2-lp-f3485ca42a"
    for field in ("momentum", "momentum_dampening", "heterogeneity"):
        assert field not in training.RunConfig().trajectory()
    for changed in (dict(momentum=0.9), dict(heterogeneity="dirichlet:1")):
        config = training.RunConfig(**changed)
        assert training.derived_run_name(config) != training.derived_run_name(training.RunConfig())
        assert list(changed) == [key for key in changed if key in config.trajectory()]


def test_a_run_cannot_resume_a_folder_trained_with_other_momentum(tmp_path):
    settings = dict(results_dir=str(tmp_path), run_name="same", steps=1, eval_every=1)
    training.run(_config(momentum=0.9, **settings), progress=False)
    with pytest.raises(training.RunError, match="holds a run with momentum=0.9, not 0.0"):
        training.run(_config(**settings), progress=False)
    saved = tf.train.load_checkpoint(os.path.join(str(tmp_path), "same", "checkpoints"))
    assert saved.get_tensor("momenta/.ATTRIBUTES/VARIABLE_VALUE").shape == (3, 79510)
