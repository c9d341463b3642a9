"""The paper's lp and linf attacks (section 3) against the aggregation rules: gamma_m's definition,
its growth with d (appendix B), Bulyan's resilience (section 4), the search against a dense grid."""

import math

import numpy as np
import pytest
import tensorflow as tf

import aggregators
import attacks
import test_aggregators_reference as reference
from attacks.shift import with_byzantine
from attacks.shifted_distances import shift_statistics, shifted_distances


def context(n, f, gar, **gar_options):
    return attacks.AttackContext(n=n, f=f, gar=gar, gar_options=gar_options,
                                 step=tf.constant(0, tf.int64), params=tf.zeros([3]),
                                 seed=tf.constant([1, 2], tf.int32))


def gaussian_honest(h, d, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=d) + rng.normal(size=(h, d))).astype(dtype)


def shifted(honest, gamma, coordinate):
    direction = np.ones(honest.shape[1]) if coordinate is None else np.eye(honest.shape[1])[coordinate]
    return (honest.astype(np.float64).mean(axis=0) + gamma * direction).astype(honest.dtype)


def with_copies(honest, b, f):
    return np.concatenate([honest, np.tile(b, (f, 1))]).astype(honest.dtype)


def krum_numpy(gradients, f, p=2):
    """Plain NumPy Krum (paper 2.3.2): the index with the smallest sum of squared l_p distances to
    its n - f - 2 closest neighbours (first index on ties)."""
    n = len(gradients)
    x = gradients.astype(np.float64)
    distances = np.array([[np.linalg.norm(x[i] - x[j], ord=p) for j in range(n)] for i in range(n)])
    scores = [np.sort(np.delete(distances[i], i) ** 2)[: n - f - 2].sum() for i in range(n)]
    return int(np.argmin(scores))


def selected_rows(rule_name, gradients, f, **options):
    return set(np.asarray(aggregators.get(rule_name).select(tf.constant(gradients), f, **options)).tolist())


# --- the closed-form distance matrix equals the explicit one --------------------------------------

@pytest.mark.parametrize("norm", [1, 2, "inf"])
@pytest.mark.parametrize("coordinate", [3, None])
def test_closed_form_matrix_equals_pairwise_distances(norm, coordinate):
    honest, f = gaussian_honest(6, 30, seed=1, dtype=np.float64), 3
    p = math.inf if norm == "inf" else norm
    centered = honest.mean(axis=0) - honest
    stats = shift_statistics(tf.constant(centered), norm, coordinate)
    honest_distances = aggregators.pairwise_distances(tf.constant(honest), norm=norm)
    for gamma in (0.0, 0.4, 3.0, 250.0):
        closed = with_byzantine(honest_distances, shifted_distances(stats, gamma), f).numpy()
        gradients = with_copies(honest, shifted(honest, gamma, coordinate), f)
        exact = np.array([[np.linalg.norm(a - b, ord=p) for b in gradients] for a in gradients])
        np.testing.assert_allclose(closed, exact, rtol=1e-9, atol=1e-9)
        # the rules' own matrix (Gram-based for l2: sqrt(eps)-level error between equal far rows)
        explicit = aggregators.pairwise_distances(tf.constant(gradients), norm=norm).numpy()
        np.testing.assert_allclose(closed, explicit, rtol=1e-9, atol=1e-7 * exact.max())


# --- gamma_m: selected at gamma_m, not 1% further (the search brackets its threshold to ~2**-10) ---

SELECTING = [("krum", 11, 4, {}), ("krum", 11, 4, {"norm": 1}), ("geomed", 11, 4, {}),
             ("brute", 7, 3, {}), ("multi-krum", 11, 4, {"m": 3})]


@pytest.mark.parametrize("gar, n, f, options", SELECTING)
def test_lp_selected_at_gamma_m_and_not_one_percent_further(gar, n, f, options):
    honest = gaussian_honest(n - f, 60, seed=2)
    ctx = context(n, f, gar, **options)
    byzantine = attacks.get("lp")(tf.constant(honest), ctx, coordinate=7).numpy()
    gamma = float(ctx.logged["gamma"])
    assert gamma > 0 and float(ctx.logged["selected"]) == 1.0
    np.testing.assert_allclose(byzantine, np.tile(shifted(honest, gamma, 7), (f, 1)), rtol=1e-5, atol=1e-5)
    # checked with the rule's own selection on the explicit gradients, not the closed form
    assert max(selected_rows(gar, np.concatenate([honest, byzantine]), f, **options)) >= n - f
    assert max(selected_rows(gar, with_copies(honest, shifted(honest, 1.01 * gamma, 7), f), f, **options)) < n - f


@pytest.mark.parametrize("gar, n, f", [("krum", 11, 4), ("geomed", 11, 4), ("brute", 7, 3)])
def test_linf_attack_on_infinity_norm_rules(gar, n, f):
    honest = gaussian_honest(n - f, 60, seed=3)
    ctx = context(n, f, gar, norm="inf")
    byzantine = attacks.get("linf")(tf.constant(honest), ctx).numpy()
    gamma = float(ctx.logged["gamma"])
    assert gamma > 0
    assert max(selected_rows(gar, np.concatenate([honest, byzantine]), f, norm="inf")) >= n - f
    assert max(selected_rows(gar, with_copies(honest, shifted(honest, 1.01 * gamma, None), f), f,
                             norm="inf")) < n - f


def test_krum_gamma_m_grows_with_dimension():
    # appendix B.3: gamma_m = O(sqrt(f) * d^(1/p)); d = 10,000 against d = 100 predicts a ratio of 10
    n, f = 11, 4
    gammas = {}
    for d in (100, 10_000):
        ctx = context(n, f, "krum")
        attacks.get("lp")(tf.constant(gaussian_honest(n - f, d, seed=4)), ctx)
        gammas[d] = float(ctx.logged["gamma"])
    assert gammas[10_000] / gammas[100] >= 5


def test_krum_search_matches_a_dense_grid():
    n, f, d = 11, 4, 20
    honest = gaussian_honest(n - f, d, seed=5, dtype=np.float64)
    ctx = context(n, f, "krum")
    attacks.get("lp")(tf.constant(honest), ctx, coordinate=0)
    gamma_m = float(ctx.logged["gamma"])
    grid = np.linspace(0, 3 * gamma_m, 601)
    selected = [krum_numpy(with_copies(honest, shifted(honest, g, 0), f), f) >= n - f for g in grid]
    largest = grid[np.flatnonzero(selected)].max()
    assert not any(selected[np.searchsorted(grid, largest) + 1:])  # one threshold on this grid
    assert abs(largest - gamma_m) <= grid[1] - grid[0]


# --- rules that do not select: gamma_m maximises the displacement along E -------------------------

@pytest.mark.parametrize("gar, n, f", [("bulyan-krum", 11, 2), ("bulyan-krum", 19, 4), ("bulyan-geomed", 11, 2)])
@pytest.mark.parametrize("attack", ["lp", "linf"])
def test_bulyan_stays_within_the_honest_range(gar, n, f, attack):
    # Section 4: per coordinate, Bulyan averages the beta picked values closest to their median,
    # which lies between honest values. Each chosen value is then within the honest range widened
    # by its width on each side: a value beyond it would be farther from the median than all
    # theta - f > beta honest picks. (The strict range is not guaranteed: theta = 7, beta = 3,
    # honest -3, -2.5, -2.2, 0, 1 and Byzantine 2.1, 2.1 give mean(0, 1, 2.1) = 1.03 > 1.)
    for seed in range(2):
        honest = gaussian_honest(n - f, 40, seed=seed)
        ctx = context(n, f, gar)
        byzantine = attacks.get(attack)(tf.constant(honest), ctx).numpy()
        assert float(ctx.logged["displacement"]) > 0
        aggregated = aggregators.aggregate(gar, np.concatenate([honest, byzantine]), f).numpy()
        low, high = honest.min(axis=0), honest.max(axis=0)
        assert np.all(aggregated >= 2 * low - high - 1e-5)
        assert np.all(aggregated <= 2 * high - low + 1e-5)
        if attack == "lp":  # the attacked coordinate (the last) barely moves, unlike under Krum
            assert abs(aggregated[-1] - honest[:, -1].mean()) <= high[-1] - low[-1]
            krum = context(n, f, "krum")
            attacks.get("lp")(tf.constant(honest), krum)
            assert float(krum.logged["gamma"]) > high[-1] - low[-1]


def displacement_on_grid(gar, honest, f, gammas, coordinate):
    """The rule's output minus the honest mean on `coordinate`, for B(gamma) = mean + gamma e_j."""
    aggregate = tf.function(lambda gradients: aggregators.aggregate(gar, gradients, f))
    mean = honest.mean(axis=0)
    return np.array([aggregate(tf.constant(with_copies(honest, shifted(honest, g, coordinate), f))).numpy()[coordinate]
                     - mean[coordinate] for g in gammas])


@pytest.mark.parametrize("gar, n, f", [("median", 9, 3), ("trimmed-mean", 9, 3), ("meamed", 9, 3),
                                       ("bulyan-krum", 11, 2)])
@pytest.mark.parametrize("d", [12, 1000])
def test_displacement_search_matches_a_dense_grid(gar, n, f, d):
    # The search's range [low, high] and its resolution: 9 grid points evenly spaced in log(gamma)
    # (spacing delta), then 7 refinements, each two of which halve the larger side of the bracket
    # around the best probe: for a unimodal displacement the maximiser is within delta / 8 of the
    # chosen gamma in log(gamma). These rules average values of which at most all move with gamma
    # (slope <= 1), so the displacement lost is at most gamma* (exp(delta / 8) - 1).
    honest = gaussian_honest(n - f, d, seed=7, dtype=np.float64)
    ctx = context(n, f, gar)
    byzantine = attacks.get("lp")(tf.constant(honest), ctx, coordinate=2).numpy()
    found, gamma = float(ctx.logged["displacement"]), float(ctx.logged["gamma"])
    np.testing.assert_allclose(byzantine, np.tile(shifted(honest, gamma, 2), (f, 1)), rtol=1e-6)
    assert found == pytest.approx(displacement_on_grid(gar, honest, f, [gamma], 2)[0], rel=1e-6)
    centered = honest.mean(axis=0) - honest
    low = np.abs(centered[:, 2]).mean() / 4
    high = 16 * max(np.abs(centered[:, 2]).mean(), np.linalg.norm(centered, axis=1).mean())
    grid = np.geomspace(low, high, 240)
    values = displacement_on_grid(gar, honest, f, grid, 2)
    delta = np.log(high / low) / 8
    tolerance = grid[values.argmax()] * np.expm1(delta / 8)
    assert found >= values.max() - tolerance
    # the former objective, ||GAR - mean||_2, is dominated by the other coordinates at d = 1000
    if gar == "bulyan-krum" and d == 1000:
        norms = [np.linalg.norm(aggregators.aggregate(gar, with_copies(honest, shifted(honest, g, 2), f), f).numpy()
                                - honest.mean(axis=0)) for g in grid[::8]]
        assert values[::8][int(np.argmax(norms))] < 0.8 * found


def test_linf_displacement_is_the_mean_shift_times_sqrt_d():
    n, f, d = 9, 3, 16
    honest = gaussian_honest(n - f, d, seed=12, dtype=np.float64)
    ctx = context(n, f, "median")
    byzantine = attacks.get("linf")(tf.constant(honest), ctx).numpy()
    moved = aggregators.aggregate("median", np.concatenate([honest, byzantine]), f).numpy() - honest.mean(axis=0)
    assert float(ctx.logged["displacement"]) == pytest.approx(moved.sum() / np.sqrt(d), rel=1e-5)


def test_selected_objective_bulyan_geomed_matches_its_picks():
    # objective="selected": the largest gamma for which B is among Bulyan's theta picks, checked
    # with the rule's own picks on the explicit gradients (B picked at gamma_m, not 1% further)
    from aggregators import bulyan
    n, f = 11, 2
    honest = gaussian_honest(n - f, 50, seed=13, dtype=np.float64)
    ctx = context(n, f, "bulyan-geomed")
    attacks.get("lp")(tf.constant(honest), ctx, objective="selected")
    gamma = float(ctx.logged["gamma"])
    assert gamma > 0 and float(ctx.logged["selected"]) == 1.0

    def picked_byzantine(g):
        gradients = with_copies(honest, shifted(honest, g, -1), f)
        picks = bulyan.picks(aggregators.pairwise_distances(tf.constant(gradients)), f, "geomed")
        return max(np.asarray(picks).tolist()) >= n - f

    assert picked_byzantine(gamma) and not picked_byzantine(1.01 * gamma)
    moved = aggregators.aggregate("bulyan-geomed", with_copies(honest, shifted(honest, gamma, -1), f), f).numpy()
    assert float(ctx.logged["displacement"]) == pytest.approx(moved[-1] - honest[:, -1].mean(), rel=1e-5, abs=1e-9)


def test_selected_objective_bulyan_krum_always_picks_b():
    # Bulyan's last pick runs Krum on 2f + 1 rows with f - 1 >= 1 neighbours: the f copies of B score 0
    # there, so B is among the theta picks at every gamma and the search returns its upper bound
    # scale * 2**(budget - 1); the coordinate stage then trims B (displacement within the honest range).
    n, f = 11, 2
    honest = gaussian_honest(n - f, 30, seed=14, dtype=np.float64)
    ctx = context(n, f, "bulyan-krum")
    attacks.get("lp")(tf.constant(honest), ctx, objective="selected", budget=8)
    scale = np.linalg.norm(honest.mean(axis=0) - honest, axis=1).mean()
    assert float(ctx.logged["gamma"]) == pytest.approx(scale * 2 ** 7, rel=1e-6)
    column = honest[:, -1] - honest[:, -1].mean()
    assert column.min() <= float(ctx.logged["displacement"]) <= column.max()


def test_gamma_scale_submits_a_multiple_of_gamma_m():
    # gamma_m (logged as "gamma") is the searched one; the f workers submit mean + 2.5 gamma_m e_j
    for gar, n, f in (("median", 9, 3), ("krum", 11, 4)):
        honest = gaussian_honest(n - f, 20, seed=15, dtype=np.float64)
        plain, scaled = context(n, f, gar), context(n, f, gar)
        attacks.get("lp")(tf.constant(honest), plain)
        byzantine = attacks.get("lp")(tf.constant(honest), scaled, gamma_scale=2.5).numpy()
        gamma = float(scaled.logged["gamma"])
        assert gamma == pytest.approx(float(plain.logged["gamma"]))
        np.testing.assert_allclose(byzantine, np.tile(shifted(honest, 2.5 * gamma, -1), (f, 1)), rtol=1e-6)
        if gar == "median":  # the logged displacement is the submitted gradients'
            moved = aggregators.aggregate(gar, np.concatenate([honest, byzantine]), f).numpy()
            assert float(scaled.logged["displacement"]) == pytest.approx(moved[-1] - honest[:, -1].mean(), rel=1e-5)
    honest = gaussian_honest(6, 20, seed=16, dtype=np.float64)
    ctx = context(9, 3, "median")
    byzantine = attacks.get("linf")(tf.constant(honest), ctx, gamma_scale=0.5).numpy()
    np.testing.assert_allclose(byzantine[0] - honest.mean(axis=0), 0.5 * float(ctx.logged["gamma"]), rtol=1e-6)


def _hand_honest():
    """4 honest rows whose mean, (0, 0.75, 0), is exact in float32; gamma_m > 1.2 for each case below."""
    return np.array([[1, 3, -3], [0, 2, 2], [-1, 0, -1], [0, -2, 2]], np.float32)


@pytest.mark.parametrize("attack, gar", [("lp", "krum"), ("linf", "krum"), ("lp", "geomed"), ("lp", "median")])
def test_gamma_max_caps_the_submitted_gamma(attack, gar):
    # gamma = min(gamma_scale gamma_m, gamma_max): below the found gamma_m the f workers submit
    # mean + gamma_max E exactly; "gamma" still logs the searched gamma_m
    honest, n, f = tf.constant(_hand_honest()), 5, 1
    direction = np.array([0, 0, 1], np.float32) if attack == "lp" else np.ones(3, np.float32)
    plain, capped = context(n, f, gar), context(n, f, gar)
    uncapped = attacks.get(attack)(honest, plain).numpy()
    gamma_m = float(plain.logged["gamma"])
    assert gamma_m > 0.5
    out = attacks.get(attack)(honest, capped, gamma_max=0.5).numpy()
    np.testing.assert_array_equal(out, [[0, 0.75, 0.5]] if attack == "lp" else [[0.5, 1.25, 0.5]])
    assert float(capped.logged["gamma"]) == gamma_m and sorted(capped.logged) == sorted(plain.logged)
    np.testing.assert_array_equal(uncapped, [np.float32([0, 0.75, 0]) + np.float32(gamma_m) * direction])
    if gar == "median":  # the logged displacement is the submitted gradients': median(-3, 2, -1, 2, 0.5) - 0
        assert float(capped.logged["displacement"]) == 0.5 != float(plain.logged["displacement"])
    # gamma_scale applies first: min(0.1 gamma_m, gamma_max)
    small = attacks.get(attack)(honest, context(n, f, gar), gamma_scale=0.1, gamma_max=0.5).numpy()
    np.testing.assert_array_equal(small, attacks.get(attack)(honest, context(n, f, gar), gamma_scale=0.1).numpy())


@pytest.mark.parametrize("gar, n, f", [("krum", 11, 4), ("median", 9, 3), ("bulyan-krum", 11, 2)])
@pytest.mark.parametrize("attack", ["lp", "linf"])
def test_gamma_max_above_gamma_m_changes_no_bit(attack, gar, n, f):
    honest = tf.constant(gaussian_honest(n - f, 30, seed=22))
    plain, capped = context(n, f, gar), context(n, f, gar)
    uncapped = attacks.get(attack)(honest, plain).numpy()
    assert attacks.get(attack).defaults["gamma_max"] is None
    out = attacks.get(attack)(honest, capped, gamma_max=1e30).numpy()
    np.testing.assert_array_equal(out, uncapped)
    assert {k: float(v) for k, v in capped.logged.items()} == {k: float(v) for k, v in plain.logged.items()}


# --- shapes, dtypes, tf.function, non-finite attacks ----------------------------------------------

@pytest.mark.parametrize("gar, n, f", [("krum", 11, 4), ("median", 7, 3), ("bulyan-krum", 11, 2)])
@pytest.mark.parametrize("attack", ["lp", "linf"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shift_attacks_shape_dtype_and_tf_function(gar, n, f, attack, dtype):
    honest = tf.constant(gaussian_honest(n - f, 25, seed=9, dtype=dtype))

    @tf.function
    def run(gradients):
        ctx = context(n, f, gar)
        return attacks.get(attack)(gradients, ctx), ctx.logged

    out, logged = run(honest)
    assert out.shape == (f, 25) and out.dtype == dtype
    eager_ctx = context(n, f, gar)
    np.testing.assert_allclose(out.numpy(), attacks.get(attack)(honest, eager_ctx).numpy(), rtol=1e-5)
    # the logged gamma_m is the one submitted: B = mean + gamma_m E, the same traced and eager
    gamma = logged["gamma"]
    assert gamma.dtype == tf.float32 and float(gamma) > 0
    assert float(gamma) == pytest.approx(float(eager_ctx.logged["gamma"]), rel=1e-5)
    direction = np.eye(25)[-1] if attack == "lp" else np.ones(25)
    np.testing.assert_allclose(out.numpy() - honest.numpy().astype(np.float64).mean(axis=0),
                               np.tile(float(gamma) * direction, (f, 1)), rtol=0,
                               atol=2e-5 * max(1.0, float(gamma)))


ROBUST = ["krum", "geomed", "multi-krum", "bulyan-krum", "bulyan-geomed", "median", "trimmed-mean",
          "meamed", "phocas", "geometric-median", "centered-clipping"]


@pytest.mark.parametrize("attack", ["nan", "inf"])
@pytest.mark.parametrize("gar", ROBUST)
def test_non_finite_attacks_never_break_a_robust_rule(attack, gar):
    # The rule's output is finite and is the NumPy transcription's, which reads the f NaN or
    # +Inf rows as infinitely far (order statistics trim them, Weiszfeld weighs them 0).
    n, f, d = 11, 2, 8
    honest = gaussian_honest(n - f, d, seed=10)
    byzantine = attacks.get(attack)(tf.constant(honest), context(n, f, gar)).numpy()
    assert np.all(np.isnan(byzantine) if attack == "nan" else byzantine == np.inf)
    rows = np.concatenate([honest, byzantine])
    out = aggregators.aggregate(gar, rows, f).numpy()
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, reference.RULES[gar](rows, f), rtol=2e-5, atol=2e-6)


def test_lp_coordinate_option_and_errors():
    honest = tf.constant(gaussian_honest(7, 10, seed=11))
    ctx = context(11, 4, "krum")
    out = attacks.get("lp")(honest, ctx, coordinate=-1).numpy()
    moved = out[0] - honest.numpy().mean(axis=0)
    assert np.argmax(np.abs(moved)) == 9 and np.abs(moved[:9]).max() < 1e-5
    with pytest.raises(ValueError, match=r"coordinate must be in \[-d, d\) = \[-10, 10\), got coordinate=10"):
        attacks.get("lp")(honest, ctx, coordinate=10)
    with pytest.raises(ValueError, match="budget must be >= 3 rule evaluations, got budget=2"):
        attacks.get("lp")(honest, ctx, budget=2)
    with pytest.raises(ValueError, match="objective must be one of displacement, selected, got objective='far'"):
        attacks.get("lp")(honest, ctx, objective="far")
    with pytest.raises(ValueError, match="objective='selected' needs .* got gar='median'"):
        attacks.get("linf")(honest, context(11, 4, "median"), objective="selected")
    with pytest.raises(ValueError, match="gamma_scale must be a finite number >= 0, got gamma_scale=-1.0"):
        attacks.get("lp")(honest, ctx, gamma_scale=-1)
    with pytest.raises(ValueError, match="option 'gamma_scale' must be a number"):
        attacks.get("linf")(honest, ctx, gamma_scale="nan")
    for bad in (0, -1.5):
        with pytest.raises(ValueError,
                           match=rf"^attack 'lp': gamma_max must be a number > 0, got gamma_max={bad:.1f}$"):
            attacks.get("lp")(honest, ctx, gamma_max=bad)
    for bad in ("big", "nan"):
        with pytest.raises(ValueError, match="^attack 'linf': option 'gamma_max' must be a number, got"):
            attacks.get("linf")(honest, ctx, gamma_max=bad)


@pytest.mark.parametrize("gar, n, f", [("bulyan-krum", 11, 2), ("bulyan-geomed", 11, 2), ("median", 9, 3)])
def test_lp_on_one_column_equals_the_full_evaluation(gar, n, f, monkeypatch):
    """For a coordinate-wise rule the search evaluates the rule on column j only; with the flag
    off it evaluates the whole [n, d] matrix: the same gamma_m and displacement, bit for bit."""
    import dataclasses
    from attacks import shift

    honest = tf.constant(gaussian_honest(n - f, 40, seed=21))
    ctx = context(n, f, gar)
    on_column = attacks.get("lp")(honest, ctx, coordinate=5).numpy()
    rule = aggregators.get(gar)
    assert rule.coordinatewise
    full_rule = dataclasses.replace(rule, coordinatewise=False)
    monkeypatch.setattr(shift.aggregators, "get", lambda name: full_rule)
    ctx_full = context(n, f, gar)
    full = attacks.get("lp")(honest, ctx_full, coordinate=5).numpy()
    np.testing.assert_array_equal(on_column, full)
    assert float(ctx.logged["gamma"]) == float(ctx_full.logged["gamma"]) > 0
    assert float(ctx.logged["displacement"]) == float(ctx_full.logged["displacement"])
