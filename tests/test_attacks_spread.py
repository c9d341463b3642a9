"""The shift attacks' log_spread option: appendix B.1's delta_bar of the honest gradients, logged beside
gamma_m, against a NumPy transcription and hand-computed cases; off (the default), nothing changes."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

import attacks
import training
from attacks import spread
from training import step as training_step


def context(n, f, gar, **gar_options):
    return attacks.AttackContext(n=n, f=f, gar=gar, gar_options=gar_options,
                                 step=tf.constant(0, tf.int64), params=tf.zeros([3]),
                                 seed=tf.constant([1, 2], tf.int32))


def delta_bar_numpy(honest):
    """B.1: delta_bar = (1/d) sum_k |v_k^(i) - v_k^(j)|, averaged over the honest pairs i < j."""
    x = np.asarray(honest, np.float64)
    return float(np.mean([np.abs(x[i] - x[j]).mean() for i, j in itertools.combinations(range(len(x)), 2)]))


def gaussian_honest(h, d, seed, dtype):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=d) + rng.exponential(size=d) * rng.normal(size=(h, d))).astype(dtype)


HAND = np.array([[1, 3, -3], [0, 2, 2], [-1, 0, -1], [0, -2, 2]], np.float32)
# pairs (0,1) (0,2) (0,3) (1,2) (1,3) (2,3): column 0 gaps 1 2 1 1 0 1 = 6, column 1 1 3 5 2 4 2 = 17,
# column 2 5 2 5 3 0 3 = 18: 41 over 6 pairs x 3 coordinates
HAND_DELTA_BAR = 41 / 18


def test_delta_bar_of_hand_made_rows():
    assert float(spread.delta_bar(tf.constant(HAND, tf.float64))) == pytest.approx(HAND_DELTA_BAR, rel=1e-15)
    assert delta_bar_numpy(HAND) == pytest.approx(HAND_DELTA_BAR, rel=1e-15)
    # three rows, two coordinates: gaps 2 5 3 and 2 0 2, 14 over 3 pairs x 2 coordinates
    assert float(spread.delta_bar(tf.constant([[0.0, 1.0], [2.0, -1.0], [5.0, 1.0]]))) == pytest.approx(7 / 3)
    assert np.isnan(float(spread.delta_bar(tf.constant([[1.0, 2.0]]))))  # one row: no pair


@pytest.mark.parametrize("h, d", [(2, 1), (5, 7), (30, 200)])
def test_delta_bar_equals_the_numpy_transcription(h, d):
    honest = gaussian_honest(h, d, seed=h + d, dtype=np.float64)
    assert float(spread.delta_bar(tf.constant(honest))) == pytest.approx(delta_bar_numpy(honest), rel=1e-12)
    shifted = honest.mean(axis=0) - honest  # what the attack passes: the gaps are the same
    assert float(spread.delta_bar(tf.constant(shifted))) == pytest.approx(delta_bar_numpy(honest), rel=1e-12)
    single = honest.astype(np.float32)
    assert float(spread.delta_bar(tf.constant(single))) == pytest.approx(delta_bar_numpy(single), rel=2e-6)


def test_lp_logs_the_hand_made_delta_bar():
    ctx = context(5, 1, "krum")
    attacks.get("lp")(tf.constant(HAND), ctx, log_spread=1)
    assert list(ctx.logged) == ["gamma", "selected", "delta_bar"]
    assert float(ctx.logged["delta_bar"]) == pytest.approx(HAND_DELTA_BAR, rel=1e-6)


# every branch of `attacks.shift.shift_attack`: a selecting rule, objective "selected", the displacement
CASES = [("lp", "krum", 11, 4, {}), ("lp", "geomed", 11, 4, {}), ("linf", "krum", 11, 4, {}),
         ("lp", "bulyan-krum", 11, 2, {"objective": "selected"}), ("lp", "median", 9, 3, {}),
         ("linf", "median", 9, 3, {}), ("lp", "krum", 11, 4, {"gamma_max": 0.1})]


@pytest.mark.parametrize("attack, gar, n, f, options", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_spread_adds_delta_bar_and_changes_no_bit(attack, gar, n, f, options, dtype):
    honest = tf.constant(gaussian_honest(n - f, 40, seed=n * f, dtype=dtype))
    default, off, on = context(n, f, gar), context(n, f, gar), context(n, f, gar)
    plain = attacks.get(attack)(honest, default, **options).numpy()
    np.testing.assert_array_equal(attacks.get(attack)(honest, off, **options, log_spread=0).numpy(), plain)
    np.testing.assert_array_equal(attacks.get(attack)(honest, on, **options, log_spread=1).numpy(), plain)
    assert list(off.logged) == list(default.logged) and list(on.logged) == list(default.logged) + ["delta_bar"]
    for name in default.logged:
        assert float(off.logged[name]) == float(default.logged[name])
        assert float(on.logged[name]) == float(default.logged[name]), name
    rel = 1e-6 if dtype == np.float64 else 2e-6  # logged as float32
    assert float(on.logged["delta_bar"]) == pytest.approx(delta_bar_numpy(honest.numpy()), rel=rel)


def test_log_spread_in_tf_function_and_a_bad_value():
    honest = tf.constant(gaussian_honest(7, 20, seed=3, dtype=np.float32))
    ctx = context(11, 4, "krum")

    @tf.function
    def run(gradients):
        out = attacks.get("lp")(gradients, ctx, log_spread=1)
        return out, ctx.logged["delta_bar"]

    _, logged = run(honest)
    assert float(logged) == pytest.approx(delta_bar_numpy(honest.numpy()), rel=2e-6)
    assert attacks.get("lp").defaults["log_spread"] == 0 and attacks.get("linf").defaults["log_spread"] == 0
    with pytest.raises(ValueError, match="attack 'lp': option 'log_spread' must be an integer"):
        attacks.get("lp")(honest, context(11, 4, "krum"), log_spread="maybe")
    with pytest.raises(ValueError, match="attack 'lp': log_spread must be >= 0 .*, got log_spread=-1"):
        attacks.get("lp")(honest, context(11, 4, "krum"), log_spread=-1)


@pytest.mark.parametrize("attack", ["lp", "linf"])
def test_log_spread_k_logs_delta_bar_every_k_th_step_only(attack):
    honest = tf.constant(gaussian_honest(7, 20, seed=5, dtype=np.float32))
    expected = delta_bar_numpy(honest.numpy())
    plain = attacks.get(attack)(honest, context(11, 4, "krum")).numpy()
    for step, logged in ((0, True), (4, False), (6, True), (10, False), (12, True)):
        ctx = attacks.AttackContext(n=11, f=4, gar="krum", gar_options={}, step=tf.constant(step, tf.int64),
                                    params=tf.zeros([3]), seed=tf.constant([1, 2], tf.int32))
        out = attacks.get(attack)(honest, ctx, log_spread=3).numpy()
        np.testing.assert_array_equal(out, plain)  # the step does not change the submission here
        value = float(ctx.logged["delta_bar"])
        if logged:
            assert value == pytest.approx(expected, rel=2e-6), step
        else:
            assert np.isnan(value), step


def test_the_run_logs_delta_bar_only_with_the_option():
    config = training.RunConfig(gar="krum", n=11, f=4, attack="lp")
    assert training_step.logged_names(config, 50) == ["gamma", "selected"]
    spread_config = training.RunConfig(gar="krum", n=11, f=4, attack="lp", attack_options={"log_spread": 1})
    assert training_step.logged_names(spread_config, 50) == ["gamma", "selected", "delta_bar"]
    assert spread_config.resolved_run_name() != config.resolved_run_name()  # a new run folder
