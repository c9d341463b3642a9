"""The attacks that need no aggregation rule: alie, ipm, signflip, gaussian, nan, inf, minmax,
minsum; the options checks and the attack window."""

import math
import statistics

import numpy as np
import pytest
import tensorflow as tf

import attacks
from attacks.alie import default_z

SIMPLE = ["alie", "ipm", "signflip", "gaussian", "nan", "inf", "minmax", "minsum"]


def context(n=7, f=2, gar="median", step=0):
    return attacks.AttackContext(n=n, f=f, gar=gar, gar_options={}, step=tf.constant(step, tf.int64),
                                 params=tf.zeros([4]), seed=tf.constant([3, step], tf.int32))


def honest_gradients(h=5, d=4, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).normal(size=(h, d)).astype(dtype)


def test_registered():
    assert set(SIMPLE + ["lp", "linf", "none"]) <= set(attacks.names())
    for name in attacks.names():
        attack = attacks.get(name)
        assert isinstance(attack, attacks.Attack) and attack.name == name
        assert attack.source and attack.description


def expected_submissions(name, honest, ctx, dtype):
    """What each attack's f = 2 workers submit with its default options (n = 7, seed [3, 0]),
    in float64; minmax and minsum from the gamma they log."""
    mean, std = honest.astype(np.float64).mean(axis=0), honest.astype(np.float64).std(axis=0)
    one = {"alie": lambda: mean - default_z(7, 2) * std,  # Baruch et al.'s z for n = 7, f = 2
           "ipm": lambda: -0.1 * mean,
           "signflip": lambda: -mean,
           "nan": lambda: np.full(4, np.nan),
           "inf": lambda: np.full(4, np.inf),
           # B = mean + gamma p with the default perturbation p = -std
           "minmax": lambda: mean - float(ctx.logged["gamma"]) * std,
           "minsum": lambda: mean - float(ctx.logged["gamma"]) * std}
    if name == "gaussian":  # each worker its own N(0, 200^2) draw, keyed by the step's seed
        return 200 * tf.random.stateless_normal([2, 4], seed=[3, 0], dtype=dtype).numpy()
    return np.tile(one[name](), (2, 1))


@pytest.mark.parametrize("name", SIMPLE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_shape_and_dtype(name, dtype):
    honest = honest_gradients(dtype=dtype)
    ctx = context()
    out = attacks.get(name)(tf.constant(honest), ctx)
    assert out.shape == (2, 4) and out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), expected_submissions(name, honest, ctx, dtype),
                               rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)
    if name in ("minmax", "minsum"):  # gamma the largest meeting the attack's condition
        gamma = float(ctx.logged["gamma"])
        assert gamma > 0
        x = honest.astype(np.float64)
        between = np.linalg.norm(x[:, None] - x[None], axis=2)

        def meets(g):
            to_b = np.linalg.norm(x.mean(axis=0) - g * x.std(axis=0) - x, axis=1)
            if name == "minmax":  # max_i ||B - g_i|| <= max_ij ||g_i - g_j||
                return to_b.max() <= between.max()
            return np.sum(to_b ** 2) <= np.min(np.sum(between ** 2, axis=1))

        assert meets(gamma * (1 - 1e-5)) and not meets(gamma * (1 + 1e-3))


@pytest.mark.parametrize("name", SIMPLE)
def test_inside_tf_function(name):
    attack = attacks.get(name)
    honest = tf.constant(honest_gradients())

    @tf.function
    def run(step):
        ctx = context()
        ctx.step, ctx.seed = step, tf.stack([tf.constant(3, tf.int32), tf.cast(step, tf.int32)])
        return attack(honest, ctx), ctx.logged

    out, logged = run(tf.constant(0, tf.int64))
    eager_ctx = context()
    eager = attack(honest, eager_ctx)
    np.testing.assert_array_equal(out.numpy(), eager.numpy())
    assert sorted(logged) == sorted(eager_ctx.logged)


def test_values_against_their_formulas():
    honest = honest_gradients(h=5, d=6)
    mean = honest.mean(axis=0)
    ctx = context()
    np.testing.assert_allclose(attacks.get("ipm")(honest, ctx).numpy(), np.tile(-0.1 * mean, (2, 1)), rtol=1e-6)
    np.testing.assert_allclose(attacks.get("ipm")(honest, ctx, epsilon=0.5).numpy()[1], -0.5 * mean, rtol=1e-6)
    np.testing.assert_allclose(attacks.get("signflip")(honest, ctx).numpy()[0], -mean, rtol=1e-6)
    np.testing.assert_allclose(attacks.get("signflip")(honest, ctx, scale="4").numpy()[0], -4 * mean, rtol=1e-6)
    z = 1.25
    want = mean - z * honest.std(axis=0)  # population std
    np.testing.assert_allclose(attacks.get("alie")(honest, ctx, z=z).numpy(), np.tile(want, (2, 1)), rtol=1e-5)
    assert np.isnan(attacks.get("nan")(honest, ctx).numpy()).all()
    assert (attacks.get("inf")(honest, ctx).numpy() == np.inf).all()


def test_alie_default_z():
    # Baruch et al.: s = floor(n/2 + 1) - f, z = Phi^-1((n - s) / n)
    assert default_z(57, 27) == pytest.approx(statistics.NormalDist().inv_cdf(55 / 57))  # s = 2
    assert default_z(39, 9) == pytest.approx(statistics.NormalDist().inv_cdf(28 / 39))  # s = 11
    assert default_z(50, 24) == pytest.approx(1.7507, abs=1e-4)  # s = 2: 0.96 quantile
    ctx = context(n=7, f=2)  # s = 2, z = Phi^-1(5/7)
    attacks.get("alie")(honest_gradients(), ctx)
    assert float(ctx.logged["z"]) == pytest.approx(statistics.NormalDist().inv_cdf(5 / 7), rel=1e-6)
    with pytest.raises(ValueError, match=r"s = floor\(n/2 \+ 1\) - f >= 1, got s=0 with n=7, f=4"):
        default_z(7, 4)


def test_gaussian_noise_is_seeded_and_scaled():
    honest = honest_gradients(h=5, d=2000)
    a = attacks.get("gaussian")(honest, context(step=1)).numpy()
    b = attacks.get("gaussian")(honest, context(step=1)).numpy()
    c = attacks.get("gaussian")(honest, context(step=2)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a[0], a[1])  # each Byzantine worker draws its own noise
    assert abs(a.mean()) < 10 and a.std() == pytest.approx(200, rel=0.05)
    around = attacks.get("gaussian")(honest, context(step=1), sigma=0.5, mean=True).numpy()
    np.testing.assert_allclose(around, honest.mean(axis=0) + 0.5 * a / 200, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", SIMPLE + ["lp", "linf"])
def test_unknown_option_names_it_and_the_attack(name):
    with pytest.raises(ValueError, match=f"attack '{name}' has no option 'bogus'"):
        attacks.get(name)(honest_gradients(), context(), bogus=1)


def test_bad_option_values():
    with pytest.raises(ValueError, match="option 'epsilon' must be a number, got 'x'"):
        attacks.get("ipm")(honest_gradients(), context(), epsilon="x")
    with pytest.raises(ValueError, match="option 'coordinate' must be an integer, got 1.5"):
        attacks.get("lp")(honest_gradients(), context(), coordinate=1.5)
    with pytest.raises(ValueError, match="option 'mean' must be a boolean, got 'maybe'"):
        attacks.get("gaussian")(honest_gradients(), context(), mean="maybe")
    with pytest.raises(ValueError, match="sigma must be >= 0, got sigma=-1.0"):
        attacks.get("gaussian")(honest_gradients(), context(), sigma=-1)


def test_wrong_honest_count():
    with pytest.raises(ValueError, match="h = n - f >= 1 honest gradients, got h=4 with n=7, f=2"):
        attacks.get("ipm")(honest_gradients(h=4), context(n=7, f=2))


def test_window_switches_at_the_right_steps():
    # Figure 2: attack during steps 0..49, then honest; Figure 3: never stops
    assert [attacks.active(s, 0, 50) for s in (0, 49, 50, 51)] == [True, True, False, False]
    assert [attacks.active(s, 10, 20) for s in (9, 10, 19, 20)] == [False, True, True, False]
    assert all(attacks.active(s, 0, None) for s in (0, 1, 10 ** 6))
    assert not attacks.active(0, 0, 0)  # empty window
    steps = tf.range(0, 6, dtype=tf.int64)
    on = tf.function(lambda s: tf.map_fn(lambda t: attacks.active(t, 2, 4), s, fn_output_signature=tf.bool))
    assert on(steps).numpy().tolist() == [False, False, True, True, False, False]
    with pytest.raises(ValueError, match="attack_stop must be >= attack_start, got attack_start=5, attack_stop=3"):
        attacks.active(0, 5, 3)
    with pytest.raises(ValueError, match="attack_start must be >= 0, got attack_start=-1"):
        attacks.active(0, -1, None)
