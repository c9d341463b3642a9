"""minmax and minsum (Shejwalkar and Houmansadr, NDSS 2021): against a NumPy transcription of their
definition and of Algorithm 1's bisection, against the closed-form largest gamma, and on a case
small enough to check by hand."""

import math

import numpy as np
import pytest
import tensorflow as tf

import attacks

NAMES = ("minmax", "minsum")
PERTURBATIONS = ("unit", "sign", "std")


def context(n=9, f=2, gar="median"):
    return attacks.AttackContext(n=n, f=f, gar=gar, gar_options={}, step=tf.constant(0, tf.int64),
                                 params=tf.zeros([4]), seed=tf.constant([3, 0], tf.int32))


def honest_gradients(h=7, d=40, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(h, d)) * rng.uniform(0.1, 2.0, size=d) + rng.normal(size=d)).astype(dtype)


# ---- NumPy transcription of the paper: B = mean + gamma p, the two conditions, Algorithm 1 ----

def numpy_perturbation(honest, kind):
    mean = honest.mean(axis=0)
    if kind == "unit":
        return -mean / np.linalg.norm(mean)
    if kind == "sign":
        return -np.sign(mean)
    return -honest.std(axis=0)  # ddof 0


def numpy_condition(name, honest, b, slack=0.0):
    """The paper's condition on B = b, with every distance computed from the vectors themselves."""
    to_b = np.array([np.linalg.norm(b - g) for g in honest])
    pairwise = np.array([[np.linalg.norm(g - k) for k in honest] for g in honest])
    if name == "minmax":
        return to_b.max() <= pairwise.max() * (1 + slack)
    return (to_b ** 2).sum() <= (pairwise ** 2).sum(axis=1).min() * (1 + slack)


def numpy_bisection(name, honest, kind, gamma_init=10.0, iterations=30):
    """Algorithm 1: gamma = gamma_init, step gamma_init / 2; up on success, down otherwise; the
    step halves after each probe; the last success (0 if none)."""
    mean, p = honest.mean(axis=0), numpy_perturbation(honest, kind)
    gamma, step, success = gamma_init, gamma_init / 2, 0.0
    for _ in range(iterations):
        if numpy_condition(name, honest, mean + gamma * p):
            success, gamma = gamma, gamma + step
        else:
            gamma = gamma - step
        step /= 2
    return success


def closed_form_gamma(name, honest, kind):
    """The largest gamma >= 0 meeting the condition, from the roots of the quadratics in gamma."""
    mean, p = honest.mean(axis=0), numpy_perturbation(honest, kind)
    a = mean - honest
    aa, ap, pp = (a * a).sum(axis=1), a @ p, p @ p
    if name == "minsum":  # sum_i a_i = 0: h gamma^2 ||p||^2 <= h min_i ||a_i||^2
        return math.sqrt(aa.min() / pp)
    diameter2 = max(((g - k) ** 2).sum() for g in honest for k in honest)
    roots = (-ap + np.sqrt(ap ** 2 - pp * (aa - diameter2))) / pp  # positive root of each quadratic
    return roots.min()


def tolerance(gamma_init=10.0, iterations=30):
    return gamma_init / 2 ** (iterations - 1)


def run(name, honest, f=2, read_back=True, **options):
    """(the f Byzantine rows, gamma, context); gamma read back from B = mean + gamma p in float64
    (the logged value is a float32) and checked against the logged one, unless not `read_back`."""
    ctx = context(n=honest.shape[0] + f, f=f)
    out = attacks.get(name)(honest, ctx, **options).numpy()
    if not read_back:
        return out, float(ctx.logged["gamma"]), ctx
    honest64, b = honest.astype(np.float64), out[0].astype(np.float64)
    p = numpy_perturbation(honest64, options.get("perturbation", "std"))
    gamma = float((b - honest64.mean(axis=0)) @ p / (p @ p)) if p @ p > 0 else float(ctx.logged["gamma"])
    assert gamma == pytest.approx(float(ctx.logged["gamma"]), rel=1e-5, abs=1e-5)
    return out, gamma, ctx


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", PERTURBATIONS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_against_the_numpy_transcription(name, kind, seed):
    honest = honest_gradients(seed=seed)
    out, gamma, ctx = run(name, honest, perturbation=kind)
    assert list(ctx.logged) == ["gamma"]
    expected = numpy_bisection(name, honest, kind)
    assert gamma == pytest.approx(expected, abs=2 * tolerance())
    want = honest.mean(axis=0) + gamma * numpy_perturbation(honest, kind)
    np.testing.assert_allclose(out, np.tile(want, (2, 1)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", PERTURBATIONS)
@pytest.mark.parametrize("seed", [3, 4])
def test_gamma_meets_the_condition_and_a_bit_more_does_not(name, kind, seed):
    honest = honest_gradients(seed=seed)
    out, gamma, _ = run(name, honest, perturbation=kind)
    mean, p = honest.mean(axis=0), numpy_perturbation(honest, kind)
    assert gamma > 0
    assert numpy_condition(name, honest, out[0], slack=1e-12)
    assert not numpy_condition(name, honest, out[0] + tolerance() * p)
    assert not numpy_condition(name, honest, mean + gamma * (1 + 1e-6) * p)
    # the bisection lands within its tolerance below the exact largest gamma
    exact = closed_form_gamma(name, honest, kind)
    assert exact - tolerance() - 1e-12 <= gamma <= exact + 1e-12


# ---- by hand: g1 = (0, 0), g2 = (3, 0), g3 = (0, 3); mean (1, 1) ----
# Every perturbation points along -(1, 1), so B = (t, t). Honest diameter^2 = ||g2 - g3||^2 = 18.
# minmax: the farthest honest gradients from (t, t), t < 1, are g2 and g3:
#   (t - 3)^2 + t^2 <= 18  <=>  2t^2 - 6t - 9 <= 0  <=>  t >= 3 (1 - sqrt 3) / 2 = -1.098...
# minsum: honest sums 18 (g1), 27, 27; sum_i ||(t, t) - g_i||^2 = 6t^2 - 12t + 18 <= 18 <=> t >= 0.
# gamma = (1 - t) / c with p = -c (1, 1): unit c = 1/sqrt 2, sign c = 1, std c = sqrt 2.
HAND = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
T_MINMAX = 3 * (1 - math.sqrt(3)) / 2
SCALE = {"unit": 1 / math.sqrt(2), "sign": 1.0, "std": math.sqrt(2)}


@pytest.mark.parametrize("kind", PERTURBATIONS)
def test_by_hand(kind):
    out, gamma, _ = run("minmax", HAND, perturbation=kind)
    assert gamma == pytest.approx((1 - T_MINMAX) / SCALE[kind], abs=1e-7)
    np.testing.assert_allclose(out, [[T_MINMAX, T_MINMAX]] * 2, atol=1e-7)
    out, gamma, _ = run("minsum", HAND, perturbation=kind)
    assert gamma == pytest.approx(1 / SCALE[kind], abs=1e-7)
    np.testing.assert_allclose(out, np.zeros((2, 2)), atol=1e-7)  # B lands on g1


def test_algorithm_1_step_by_step():
    # gamma_init 4, minmax, unit: threshold (1 - t) sqrt 2 = 2.967...; probes 4 (no), 2 (yes),
    # 3 (no), 2.5 (yes): gamma = 2.5
    _, gamma, _ = run("minmax", HAND, perturbation="unit", gamma_init=4, iterations=4)
    assert gamma == 2.5
    _, gamma, _ = run("minmax", HAND, perturbation="unit", gamma_init=4, iterations=1)
    assert gamma == 0.0  # the only probe, 4, fails
    # the probes never reach 2 gamma_init: a threshold beyond it gives 2 gamma_init - tolerance
    _, gamma, _ = run("minmax", HAND, perturbation="unit", gamma_init=1, iterations=10)
    assert gamma == 2 - tolerance(1, 10)


@pytest.mark.parametrize("name", NAMES)
def test_float32_follows_float64(name):
    honest = honest_gradients(seed=5)
    out64, gamma64, _ = run(name, honest)
    out32, gamma32, _ = run(name, honest.astype(np.float32))
    assert out32.dtype == np.float32
    assert gamma32 == pytest.approx(gamma64, rel=1e-4)
    np.testing.assert_allclose(out32, out64, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_the_rule_does_not_matter(name):
    honest = honest_gradients(seed=6)
    outs = []
    for gar in ("median", "krum", "nnm+trimmed-mean"):
        ctx = context(gar=gar)
        outs.append(attacks.get(name)(honest, ctx).numpy())
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], outs[2])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", PERTURBATIONS)
def test_inside_tf_function(name, kind):
    honest = tf.constant(honest_gradients(seed=7, dtype=np.float32))

    @tf.function
    def attack(honest):
        ctx = context()
        return attacks.get(name)(honest, ctx, perturbation=kind), ctx.logged["gamma"]

    out, gamma = attack(honest)
    eager, eager_gamma, _ = run(name, honest.numpy(), perturbation=kind)
    np.testing.assert_allclose(out.numpy(), eager, rtol=1e-6, atol=1e-6)
    assert float(gamma) == pytest.approx(eager_gamma, rel=1e-6)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", PERTURBATIONS)
@pytest.mark.parametrize("case", ["identical rows", "zero mean", "one honest", "tiny", "huge",
                                  "one column", "zeros"])
def test_never_nan_from_finite_gradients(name, kind, case):
    honest = honest_gradients(seed=8, dtype=np.float32)
    if case == "identical rows":
        honest = np.tile(honest[:1], (7, 1))
    elif case == "zero mean":
        honest = honest - honest.mean(axis=0)
    elif case == "one honest":
        honest = honest[:1]
    elif case == "tiny":
        honest = honest * np.float32(1e-30)
    elif case == "huge":
        honest = honest * np.float32(1e15)
    elif case == "one column":
        honest = honest[:, :1]
    else:
        honest = np.zeros_like(honest)
    out, gamma, _ = run(name, honest, read_back=False, perturbation=kind)
    assert np.isfinite(out).all() and math.isfinite(gamma), (out, gamma)


@pytest.mark.parametrize("name", NAMES)
def test_option_errors_name_the_attack_and_the_option(name):
    honest = honest_gradients()
    with pytest.raises(ValueError, match=f"attack '{name}' has no option 'epsilon'; its options are: "
                                         "gamma_init, iterations, perturbation"):
        attacks.get(name)(honest, context(), epsilon=1)
    with pytest.raises(ValueError, match=f"attack '{name}': perturbation must be one of unit, sign, "
                                         "std, got perturbation='foo'"):
        attacks.get(name)(honest, context(), perturbation="foo")
    with pytest.raises(ValueError, match=f"attack '{name}': option 'perturbation' must be a string, got 3"):
        attacks.get(name)(honest, context(), perturbation=3)
    with pytest.raises(ValueError, match=f"attack '{name}': iterations must be >= 1, got iterations=0"):
        attacks.get(name)(honest, context(), iterations=0)
    with pytest.raises(ValueError, match=f"attack '{name}': option 'iterations' must be an integer, got 2.5"):
        attacks.get(name)(honest, context(), iterations=2.5)
    for bad in (0, -1, math.inf):
        with pytest.raises(ValueError, match=f"attack '{name}': gamma_init must be a finite number > 0"):
            attacks.get(name)(honest, context(), gamma_init=bad)
    with pytest.raises(ValueError, match=f"attack '{name}': option 'gamma_init' must be a number, got 'x'"):
        attacks.get(name)(honest, context(), gamma_init="x")


def test_options_from_the_command_line():
    assert attacks.get("minmax").resolve({"perturbation": "unit", "gamma_init": "50", "iterations": "20"}) == \
        {"perturbation": "unit", "gamma_init": 50.0, "iterations": 20}
    assert attacks.get("minsum").defaults == {"perturbation": "std", "gamma_init": 10.0, "iterations": 30}
