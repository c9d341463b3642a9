"""Attacks that need more than the honest submissions: mimic (state kept across steps), labelflip (the
Byzantine workers' own gradients on flipped labels); the bucketing seed of the step; a run with
momentum, mimic and Dirichlet data resumed bit for bit."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import attacks
import models
import training
from models.loss import loss_fn
from training import checkpoints, datasets, flat, sampling
from training.gradients import per_worker_gradients
from training.step import make_worker_gradients
from interrupting import interrupted_then_resumed

datasets.register("synthetic", lambda *_: datasets.synthetic(train=256, test=100), model="mnist_mlp")
MIMIC_STATE = {"mu": [6], "z": [6], "target": [], "calls": []}


def _context(state, seed=(5, 7), n=6, f=2):
    return attacks.AttackContext(n=n, f=f, gar="median", gar_options={}, step=tf.constant(0, tf.int64),
                                 params=tf.zeros([6]), seed=tf.constant(seed, tf.int32), state=state)


def _zero_state():
    spec = attacks.get("mimic").state_spec(6, 2, 6)
    assert {name: shape for name, (shape, _) in spec.items()} == MIMIC_STATE
    return {name: tf.zeros(shape, dtype) for name, (shape, dtype) in spec.items()}


def _numpy_power_step(honest, mu, z):
    centred = honest - mu
    cumu = centred.T @ (centred @ z)
    return cumu / np.linalg.norm(cumu)


def test_mimic_copies_the_honest_row_farthest_along_the_top_direction_then_keeps_it():
    rng = np.random.default_rng(0)
    spread = np.array([3.0, -1.0, 0.5, 0.0, 2.0, 1.0])  # the top principal direction of the rows
    honest = (rng.normal(size=(4, 6)) * 0.1 + rng.normal(size=(4, 1)) * spread).astype(np.float32)
    mimic = attacks.get("mimic")
    context = _context(_zero_state())
    out = mimic(tf.constant(honest), context, warmup=2).numpy()
    # call 0: mu = mean, z = normalise(sum_i <g_i - mu, z0> (g_i - mu)), z0 ~ N(0, I) keyed by the step's seed
    z0 = tf.random.stateless_normal([6], tf.constant([5, 7], tf.int32)).numpy()
    mu = honest.mean(axis=0)
    z = _numpy_power_step(honest, mu, z0)
    target = int(np.argmax(honest @ z))
    np.testing.assert_array_equal(out, np.stack([honest[target]] * 2))
    np.testing.assert_allclose(context.new_state["z"].numpy(), z, rtol=1e-5, atol=1e-6)
    assert abs(z @ spread) / np.linalg.norm(spread) > 0.95  # z found the spread's direction
    assert int(context.new_state["calls"]) == 1 and int(context.logged["target"]) == target

    # call 1 (still warming up): mu and z running averages, the target re-chosen, from other rows
    second = honest[::-1].copy()
    context = _context(dict(context.new_state))
    out = mimic(tf.constant(second), context, warmup=2).numpy()
    mu = mu / 2 + second.mean(axis=0) / 2
    z_next = z / 2 + _numpy_power_step(second, mu, z) / 2
    z_next /= np.linalg.norm(z_next)
    target = int(np.argmax(second @ z_next))
    np.testing.assert_array_equal(out[0], second[target])
    np.testing.assert_allclose(context.new_state["z"].numpy(), z_next, rtol=1e-5, atol=1e-6)

    # call 2 (warm-up over): z and the target are fixed, even when another row would now be chosen
    third = np.roll(second, 1, axis=0)
    assert int(np.argmax(third @ z_next)) != target
    state = dict(context.new_state)
    context = _context(state)
    out = mimic(tf.constant(third), context, warmup=2).numpy()
    np.testing.assert_array_equal(out[1], third[target])
    np.testing.assert_array_equal(context.new_state["z"].numpy(), state["z"].numpy())


def test_mimic_refuses_a_warmup_below_one():
    with pytest.raises(ValueError, match="attack 'mimic': option 'warmup' must be >= 1, got 0"):
        attacks.get("mimic")(tf.zeros([4, 6]), _context(_zero_state()), warmup=0)


@pytest.mark.parametrize("window", [dict(), dict(attack_start=2, attack_stop=3)])
def test_labelflip_gradients_equal_gradients_on_flipped_labels(window):
    config = training.RunConfig(dataset="synthetic", gar="median", n=4, f=1, attack="labelflip", batch_size=6,
                                seed=2, **window)
    data = datasets.synthetic(train=64, test=16)
    keras.utils.set_random_seed(0)
    model = models.mnist_mlp()
    x = flat.flatten(model.trainable_variables)
    worker_gradients = tf.function(make_worker_gradients(config, model, data, "loop"))
    for t in (0, 2):
        got, _ = worker_gradients(tf.constant(t, tf.int64), x, 4)
        indices = sampling.sample_indices(2, t, 4, 6, 64).numpy()
        labels = data.train_labels[indices]
        flipped = not window or t == 2
        expected_labels = np.concatenate([labels[:3], 9 - labels[3:] if flipped else labels[3:]])
        images = tf.constant(data.train_images[indices].astype(np.float32) / 255.0)
        values = [tf.convert_to_tensor(v) for v in model.trainable_variables]
        expected, _ = per_worker_gradients(model, values, images, tf.constant(expected_labels), config.l2, "loop")
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5, atol=1e-7)
        with tf.GradientTape() as tape:  # worker 3 by hand, one plain Keras loss
            loss = loss_fn(model(images[3]), expected_labels[3], model.trainable_variables, config.l2)
        by_hand = flat.flatten(tape.gradient(loss, model.trainable_variables)).numpy()
        np.testing.assert_allclose(got.numpy()[3], by_hand, rtol=1e-4, atol=1e-6)
    # the attack submits the Byzantine workers' own submissions on flipped labels
    context = _context({}, n=4, f=1)
    context.flipped_gradients = tf.constant(np.full([1, 6], 3.0, np.float32))
    np.testing.assert_array_equal(attacks.get("labelflip")(tf.zeros([3, 6]), context).numpy(), np.full([1, 6], 3.0))
    context.flipped_gradients = None
    with pytest.raises(ValueError, match="attack 'labelflip' needs the Byzantine workers' gradients"):
        attacks.get("labelflip")(tf.zeros([3, 6]), context)


def _seed_reporter(honest, context):
    """Logs the rule's bucketing seed and the attack's seed: key[0] mod 4096 (exact in float32) + 4096 key[1]."""
    for name, key in (("rule_seed", context.gar_options["bucketing.seed"]), ("attack_seed", context.seed)):
        context.log(name, key[0] % 4096 + 4096 * key[1])
    return tf.tile(tf.reduce_mean(honest, axis=0, keepdims=True), [context.f, 1])


attacks.register(attacks.Attack("test_seed_reporter", source="tests only", attack_fn=_seed_reporter,
                                description="logs the step's rule and attack seeds; submits the honest mean"))


def test_a_bucketing_chain_gets_a_fresh_seed_every_step_which_the_attack_sees(tmp_path):
    config = training.RunConfig(dataset="synthetic", gar="bucketing+median", n=6, f=1, attack="test_seed_reporter",
                                batch_size=4, steps=3, eval_every=3, seed=9, results_dir=str(tmp_path))
    metrics = training.read_metrics(training.run(config, progress=False))
    keys = [sampling.rule_seed(9, t).numpy() for t in range(3)]
    expected = [key[0] % 4096 + 4096 * key[1] for key in keys]
    np.testing.assert_array_equal(metrics["rule_seed"][1:], expected)
    assert len(set(expected)) == 3
    assert not np.array_equal(metrics["attack_seed"][1:], metrics["rule_seed"][1:])
    with pytest.raises(training.RunError, match="gar_options bucketing.seed is set by the training step"):
        training.validate(training.RunConfig(dataset="synthetic", gar="bucketing+median", n=6, f=1,
                                             gar_options={"bucketing.seed": 3}))


def test_momentum_mimic_and_dirichlet_data_resume_bit_for_bit(tmp_path, monkeypatch):
    settings = dict(dataset="synthetic", gar="median", n=6, f=2, attack="mimic", attack_options={"warmup": 5},
                    momentum=0.9, heterogeneity="dirichlet:0.5", batch_size=6, lr0=0.5, lr_decay=100, steps=6,
                    eval_every=3, checkpoint_every=2, seed=3, results_dir=str(tmp_path))
    whole = training.run(training.RunConfig(**settings, run_name="whole"), progress=False)
    # the 5th step raises, as a kill would stop it: resumed from the checkpoint at step 4
    resumed = interrupted_then_resumed(monkeypatch, training.RunConfig(**settings, run_name="resumed"), call=5)
    got, want = training.read_metrics(resumed), training.read_metrics(whole)
    assert list(got) == list(want) and "target" in got
    for column in want:
        if column != "wall_time":
            np.testing.assert_array_equal(got[column], want[column], err_msg=column)
    names = ["params", "momenta", "attack_mu", "attack_z", "attack_target", "attack_calls"]
    final, _ = checkpoints.read(os.path.join(resumed, "checkpoints"), names)
    reference, _ = checkpoints.read(os.path.join(whole, "checkpoints"), names)
    for name in names:
        np.testing.assert_array_equal(np.asarray(final[name]), np.asarray(reference[name]), err_msg=name)
    assert final["momenta"].shape == (4, 79510) and int(final["attack_calls"]) == 6


def test_in_an_attack_window_the_state_advances_only_while_active_and_every_worker_keeps_momentum(tmp_path):
    config = training.RunConfig(dataset="synthetic", gar="median", n=5, f=1, attack="mimic", attack_start=1,
                                attack_stop=3, momentum=0.5, batch_size=4, steps=4, eval_every=4, seed=2,
                                results_dir=str(tmp_path))
    run_dir = training.run(config, progress=False)
    target = training.read_metrics(run_dir)["target"]
    assert np.isnan(target[[0, 1, 4]]).all() and not np.isnan(target[2:4]).any()  # steps 2, 3 are attacked
    state, _ = checkpoints.read(os.path.join(run_dir, "checkpoints"), ["momenta", "attack_calls"])
    assert int(state["attack_calls"]) == 2 and state["momenta"].shape == (5, 79510)  # all n compute
    assert np.abs(state["momenta"][4]).max() > 0  # the Byzantine worker's honest momentum, kept
