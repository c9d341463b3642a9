"""Byzantine gradients are data: NaN, +-Inf and huge rows never crash a rule nor reach the output
of a robust one; Bulyan stays, coordinate by coordinate, within the honest range."""

import numpy as np
import pytest

import aggregators
import test_aggregators_reference as reference

ROBUST = [name for name in aggregators.names() if name != "average"]
SELECTING = ["krum", "geomed", "brute", "multi-krum"]
N, F, D = 11, 2, 6


def honest_rows(count, d, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((count, d)) + 3.0).astype(dtype)


def hostile_row(kind, d, dtype, rng):
    if kind == "nan":
        return np.full(d, np.nan, dtype)
    if kind == "one-nan":
        row = rng.standard_normal(d).astype(dtype)
        row[rng.integers(d)] = np.nan
        return row
    if kind == "+inf":
        return np.full(d, np.inf, dtype)
    if kind == "-inf":
        row = np.zeros(d, dtype)
        row[0] = -np.inf
        return row
    if kind == "huge":
        return np.full(d, 1e30, dtype)
    if kind == "-huge":
        return np.full(d, -3e38 if dtype == np.float32 else -1e300, dtype)
    raise ValueError(kind)


def with_attackers(kinds, dtype, seed=0):
    """N rows, len(kinds) of them hostile at random positions; returns (rows, hostile mask)."""
    rng = np.random.default_rng(seed)
    honest = honest_rows(N - len(kinds), D, dtype, seed)
    rows = np.concatenate([honest, np.stack([hostile_row(k, D, dtype, rng) for k in kinds])])
    order = rng.permutation(N)
    return rows[order], order >= N - len(kinds)


ATTACKS = [("nan", "nan"), ("one-nan", "+inf"), ("-inf", "huge"), ("huge", "huge"),
           ("-huge", "nan")]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kinds", ATTACKS, ids="|".join)
@pytest.mark.parametrize("rule", ROBUST)
def test_hostile_rows_never_reach_the_output(rule, kinds, dtype):
    rows, hostile = with_attackers(kinds, dtype, seed=len(rule))
    out = aggregators.aggregate(rule, rows, F).numpy()
    assert np.all(np.isfinite(out)), out
    honest = rows[~hostile]
    if rule in ("geometric-median", "centered-clipping"):
        # Weighted averages, not order statistics: exactly the NumPy transcription's value, which
        # gives a non-finite row weight 0. A finite row whose squared norm overflows the dtype
        # (1e30 in float32, -1e300 in float64) is infinitely far for the rules
        # (`pairwise_distances`): the transcription reads it as +-Inf.
        with np.errstate(over="ignore", invalid="ignore"):
            overflows = np.all(np.isfinite(rows), axis=1) & ~np.isfinite(
                np.sum(np.square(rows), axis=1, dtype=dtype))
        read = np.where(overflows[:, None], np.copysign(np.inf, rows), rows.astype(np.float64))
        np.testing.assert_allclose(out, reference.RULES[rule](read, F),
                                   rtol=2e-6 if dtype == np.float32 else 1e-12, atol=1e-7)
    else:
        assert np.all(out >= honest.min(axis=0)) and np.all(out <= honest.max(axis=0)), out
    if rule in SELECTING:
        picked = aggregators.get(rule).select(rows, F).numpy()
        assert not np.any(hostile[picked]), (picked, np.flatnonzero(hostile))


@pytest.mark.parametrize("rule", ["median", "trimmed-mean", "meamed", "phocas", "krum", "geomed",
                                  "brute", "bulyan-krum", "bulyan-geomed"])
def test_hostile_rows_output_equals_numpy_transcription(rule):
    rows, _ = with_attackers(("nan", "+inf"), np.float64, seed=3)
    np.testing.assert_allclose(aggregators.aggregate(rule, rows, F).numpy(),
                               reference.RULES[rule](rows, F), rtol=1e-12)


def test_average_propagates_nan():
    rows, _ = with_attackers(("nan", "nan"), np.float32)
    assert np.all(np.isnan(aggregators.aggregate("average", rows, F).numpy()))


@pytest.mark.parametrize("base", ["krum", "geomed", "brute"])
@pytest.mark.parametrize("norm", [2, "inf"])
def test_bulyan_within_honest_range_under_a_coordinate_attack(base, norm):
    """The paper's attack shape (section 3): f copies of mean + gamma * E, for growing gamma."""
    n, f, d = 11, 2, 7
    honest = honest_rows(n - f, d, np.float32, seed=5)
    low, high = honest.min(axis=0), honest.max(axis=0)
    for gamma in [0.1, 1.0, 10.0, 1e3, 1e20]:
        direction = np.zeros(d, np.float32) if norm == 2 else np.ones(d, np.float32)
        direction[0] = 1.0
        byzantine = np.tile(honest.mean(axis=0) + gamma * direction, (f, 1))
        rows = np.concatenate([byzantine, honest])
        out = aggregators.aggregate(f"bulyan-{base}", rows, f, norm=norm).numpy()
        assert np.all(out >= low) and np.all(out <= high), (gamma, out, low, high)


def test_bulyan_within_honest_range_random_byzantine_values():
    rng = np.random.default_rng(8)
    n, f, d = 15, 3, 9
    for trial in range(5):
        honest = rng.standard_normal((n - f, d)).astype(np.float32)
        byzantine = (rng.standard_normal((f, d)) * 10 ** rng.uniform(-2, 6)).astype(np.float32)
        rows = np.concatenate([honest, byzantine])[rng.permutation(n)]
        out = aggregators.aggregate("bulyan", rows, f).numpy()
        assert np.all(out >= honest.min(axis=0)) and np.all(out <= honest.max(axis=0))


def test_float32_overflow_counts_as_infinity_never_nan():
    rows = np.array([[1e30, 1e30], [1e30, 1e30], [1.0, 2.0], [1.0, 3.0]], np.float32)
    for norm in [2, 1, "inf"]:
        distances = aggregators.pairwise_distances(rows, norm).numpy()
        assert not np.any(np.isnan(distances))
        np.testing.assert_array_equal(np.diag(distances), 0)  # finite rows
    squared_overflow = aggregators.pairwise_distances(rows, 2).numpy()
    assert np.isinf(squared_overflow[0, 2]) and np.isinf(squared_overflow[0, 1])
    assert squared_overflow[2, 3] == 1
    # l1 and l_inf of these rows do not overflow: exact values
    assert aggregators.pairwise_distances(rows, "inf").numpy()[0, 1] == 0


def test_non_finite_rows_are_infinitely_far_even_from_themselves():
    rows = np.array([[0.0, 0.0], [np.nan, 0.0], [np.inf, 0.0], [3.0, 4.0]], np.float64)
    for norm in [2, 1, "inf"]:
        distances = aggregators.pairwise_distances(rows, norm).numpy()
        assert np.all(np.isinf(distances[1:3])) and np.all(np.isinf(distances[:, 1:3]))
        assert distances[0, 0] == 0 and distances[3, 3] == 0
    assert aggregators.pairwise_distances(rows).numpy()[0, 3] == 5


def test_distances_option_with_nan_reads_nan_as_infinity():
    rows = honest_rows(7, 3, np.float64)
    distances = aggregators.pairwise_distances(rows).numpy()
    distances[0, :] = distances[:, 0] = np.nan
    assert aggregators.get("krum").select(rows, 1, distances=distances).numpy()[0] != 0
