"""Inputs on which each rule's defining choice decides the output.

On random Gaussian rows Krum picks the same row whether it sums its n - f - 2 or its n - f - 1
nearest squared distances, and Bulyan's output barely moves when beta is off by one: comparing with
the NumPy reference there shows little. Here every input is chosen so that the choice matters:

- hand-computed cases, small integers on a line (every distance exact in float32), each with its
  derivation and what the plausible mistake would give instead;
- small-integer inputs in 2 or 3 dimensions, one per rule and norm, on which the NumPy reference
  (`test_aggregators_reference`) and each plausible mistake disagree; the test first checks that
  they do disagree (the input is decisive), then that the project equals the reference.

The plausible mistakes (`VARIANTS`): Krum's and Multi-Krum's neighbour count n - f - 2 off by one
either way, or plain instead of squared distances; Multi-Krum's default m = n - f off by one;
GeoMed summing squared distances; Brute's subsets of n - f rows off by one, or ranked by the sum
of their distances instead of their diameter; Bulyan's theta = n - 2f picks and beta = n - 4f
values off by one, its iterated Krum counting neighbours among all n rows (not the m left) or
n - f - 1 of them, its iterated GeoMed on squared distances, its iterated Brute's subsets off by
one, and its median taken as the upper middle value (even theta); ties to the highest index.
"""

import functools
import itertools
import math

import numpy as np
import pytest
import tensorflow as tf

import aggregators
import test_aggregators_reference as reference
from aggregators import bulyan as bulyan_module, coordinatewise

DTYPES = [np.float32, np.float64]


def project(rule, rows, f, dtype=np.float64, **options):
    """The project's output as float64 NumPy."""
    out = aggregators.aggregate(rule, np.asarray(rows, dtype), f, **options)
    assert out.dtype == tf.as_dtype(dtype)
    return out.numpy().astype(np.float64)


def selected(rule, rows, f, dtype=np.float64, **options):
    return aggregators.get(rule).select(np.asarray(rows, dtype), f, **options).numpy().tolist()


# --- hand-computed cases --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_krum_sums_the_n_minus_f_minus_2_nearest_squared_distances(dtype):
    # n = 5, f = 1: each row's score sums its n - f - 2 = 2 smallest squared distances.
    #   row 0 (value 0): squared distances 1, 16, 36, 64 -> 1 + 16 = 17
    #   row 1 (1):       1, 9, 25, 49                   -> 1 + 9  = 10
    #   row 2 (4):       16, 9, 4, 16                   -> 4 + 9  = 13
    #   row 3 (6):       36, 25, 4, 4                   -> 4 + 4  = 8   <- Krum
    #   row 4 (8):       64, 49, 16, 4                  -> 4 + 16 = 20
    # With 3 neighbours (n - f - 1): 53, 35, 29, 33, 69 -> row 2 (4).
    # With 1 neighbour (n - f - 3): 1, 1, 4, 4, 4 -> row 0 (0).
    # With plain distances: 1+4, 1+3, 2+3, 2+2, 2+4 = 5, 4, 5, 4, 6 -> rows 1 and 3 tie -> row 1.
    line = [[0.0], [1.0], [4.0], [6.0], [8.0]]
    assert selected("krum", line, 1, dtype) == [3]
    np.testing.assert_array_equal(project("krum", line, 1, dtype), [6.0])
    assert reference.krum_select(line, 1) == 3


@pytest.mark.parametrize("dtype", DTYPES)
def test_krum_ties_go_to_the_lowest_index(dtype):
    # n = 5, f = 1, values 5, 2, 0, 1, 3 (rows 0..4), 2 neighbours:
    #   5: 4 + 9 = 13; 2: 1 + 1 = 2; 0: 1 + 4 = 5; 1: 1 + 1 = 2; 3: 1 + 4 = 5.
    # Rows 1 (value 2) and 3 (value 1) tie at 2: the lowest index, row 1. Highest: row 3, value 1.
    rows = [[5.0], [2.0], [0.0], [1.0], [3.0]]
    assert selected("krum", rows, 1, dtype) == [1]
    np.testing.assert_array_equal(project("krum", rows, 1, dtype), [2.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_multi_krum_averages_the_m_lowest_scores_best_first(dtype):
    # Krum's scores of 0 1 4 6 8 (above): 17, 10, 13, 8, 20; best first: rows 3, 1, 2, 0, 4.
    #   default m = n - f = 4: rows 3, 1, 2, 0 -> (6 + 1 + 4 + 0) / 4 = 2.75
    #     (m = n - f - 1 = 3 would give (6 + 1 + 4) / 3 = 11/3)
    #   m = 2: rows 3, 1 -> 3.5 (with n - f - 1 = 3 neighbours: scores 53, 35, 29, 33, 69 -> rows
    #     2, 3 -> 5; with 1 neighbour: 1, 1, 4, 4, 4 -> rows 0, 1 -> 0.5)
    line = [[0.0], [1.0], [4.0], [6.0], [8.0]]
    assert selected("multi-krum", line, 1, dtype) == [3, 1, 2, 0]
    np.testing.assert_array_equal(project("multi-krum", line, 1, dtype), [2.75])
    assert selected("multi-krum", line, 1, dtype, m=2) == [3, 1]
    np.testing.assert_array_equal(project("multi-krum", line, 1, dtype, m=2), [3.5])
    np.testing.assert_allclose(project("multi-krum", line, 1, dtype, m=3), [11 / 3], rtol=1e-6)
    # Equal scores keep their index order: 5 2 0 1 3 score 13, 2, 5, 2, 5 -> rows 1, 3, 2, 4, 0.
    rows = [[5.0], [2.0], [0.0], [1.0], [3.0]]
    assert selected("multi-krum", rows, 1, dtype) == [1, 3, 2, 4]
    np.testing.assert_array_equal(project("multi-krum", rows, 1, dtype, m=3), [1.0])  # (2+1+0)/3


@pytest.mark.parametrize("dtype", DTYPES)
def test_geomed_sums_plain_distances(dtype):
    # Sums of plain distances of 0 1 2 3 20: 26, 23, 22, 23, 74 -> row 2 (value 2), the medoid.
    # Sums of squared distances: 414, 367, 330, 303, 1374 -> row 3 (value 3), nearer the mean 5.2.
    rows = [[0.0], [1.0], [2.0], [3.0], [20.0]]
    assert selected("geomed", rows, 1, dtype) == [2]
    np.testing.assert_array_equal(project("geomed", rows, 1, dtype), [2.0])
    # Ties: 2 0 1 3 sum 4, 6, 4, 6 -> rows 0 and 2 tie -> row 0 (value 2), not row 2 (value 1).
    rows = [[2.0], [0.0], [1.0], [3.0]]
    assert selected("geomed", rows, 1, dtype) == [0]
    np.testing.assert_array_equal(project("geomed", rows, 1, dtype), [2.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_brute_averages_the_n_minus_f_rows_of_smallest_diameter(dtype):
    # n = 6, f = 2: subsets of 4 rows of 0 2 3 8 9 12. The smallest diameters are those of 4
    # consecutive values: {0,2,3,8} 8, {2,3,8,9} 7, {3,8,9,12} 9 -> {2,3,8,9}, mean 22/4 = 5.5.
    #   sum of the 6 pairwise distances instead: {0,2,3,8} 25 < {2,3,8,9} 26 -> mean 3.25;
    #   subsets of 3 (n - f - 1): {0,2,3} diameter 3 -> 5/3; of 5: {0,2,3,8,9} 9 -> 4.4.
    rows = [[0.0], [2.0], [3.0], [8.0], [9.0], [12.0]]
    assert selected("brute", rows, 2, dtype) == [1, 2, 3, 4]
    np.testing.assert_array_equal(project("brute", rows, 2, dtype), [5.5])
    # Ties go to the first subset in lexicographic order: 2 1 0, f = 1: pairs (0,1) 1, (0,2) 2,
    # (1,2) 1 -> (0, 1), mean 1.5 (the last tie, (1, 2), would give 0.5).
    rows = [[2.0], [1.0], [0.0]]
    assert selected("brute", rows, 1, dtype) == [0, 1]
    np.testing.assert_array_equal(project("brute", rows, 1, dtype), [1.5])


@pytest.mark.parametrize("dtype", DTYPES)
def test_trimmed_mean_drops_f_values_each_side(dtype):
    # Sorted: -100 0 1 2 6 50 1000 (n = 7).
    #   f = 1: mean(0, 1, 2, 6, 50) = 59/5 = 11.8
    #   f = 2: mean(1, 2, 6) = 3        (f - 1 would give 11.8, f + 1 gives 2)
    #   f = 3: mean(2) = 2
    rows = [[6.0], [1000.0], [0.0], [-100.0], [2.0], [50.0], [1.0]]
    np.testing.assert_allclose(project("trimmed-mean", rows, 1, dtype), [11.8], rtol=1e-6)
    np.testing.assert_array_equal(project("trimmed-mean", rows, 2, dtype), [3.0])
    np.testing.assert_array_equal(project("trimmed-mean", rows, 3, dtype), [2.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_median_of_an_even_count_is_the_mean_of_the_middle_two(dtype):
    # n = 6: sorted -1 2 3 4 7 100 -> (3 + 4) / 2 = 3.5 (not the lower 3 nor the upper 4).
    rows = [[7.0], [-1.0], [4.0], [100.0], [3.0], [2.0]]
    np.testing.assert_array_equal(project("median", rows, 1, dtype), [3.5])


# Bulyan(Krum) on a line, n = 7, f = 1: theta = 5 picks, beta = 3. Rows 0..6: 3 2 7 8 4 13 14.
BULYAN_LINE = [[3.0], [2.0], [7.0], [8.0], [4.0], [13.0], [14.0]]


@pytest.mark.parametrize("dtype", DTYPES)
def test_bulyan_krum_by_hand(dtype):
    # Pick 1, all 7 rows, max(7 - 1 - 2, 1) = 4 neighbours (squared distances):
    #   3: 1+1+16+25 = 43; 2: 1+4+25+36 = 66; 7: 1+9+16+25 = 51; 8: 1+16+25+25 = 67;
    #   4: 1+4+9+16 = 30; 13: 1+25+36+81 = 143; 14: 1+36+49+100 = 186      -> row 4 (value 4)
    # Pick 2, rows {3, 2, 7, 8, 13, 14}, 3 neighbours:
    #   3: 1+16+25 = 42; 2: 1+25+36 = 62; 7: 1+16+25 = 42; 8: 1+25+25 = 51; 13: 1+25+36 = 62;
    #   14: 1+36+49 = 86 -> rows 0 and 2 tie at 42                           -> row 0 (value 3)
    # Pick 3, rows {2, 7, 8, 13, 14}, 2 neighbours: 2: 25+36 = 61; 7: 1+25 = 26; 8: 1+25 = 26;
    #   13: 1+25 = 26; 14: 1+36 = 37 -> rows 2, 3, 5 tie                     -> row 2 (value 7)
    # Pick 4, rows {2, 8, 13, 14}, max(4 - 3, 1) = 1 neighbour: 36, 25, 1, 1 -> row 5 (value 13)
    # Pick 5, rows {2, 8, 14}, 1 neighbour: 36, 36, 36 -> all tie            -> row 1 (value 2)
    # Picks 4 3 7 13 2, sorted 2 3 4 7 13: median 4; the beta = 3 closest: 4 (0), 3 (1), then
    # 2 (2) before 7 (3) -> (4 + 3 + 2) / 3 = 3.
    # Mistakes: 4 picks (theta - 1): 4 3 7 13, the 3 closest to 4 are 4 3 7 -> 14/3;
    # beta = 4: 4 3 2 7 -> 4; ties to the highest index: pick 2 would be row 2 (7).
    picks = bulyan_module.picks(aggregators.pairwise_distances(np.asarray(BULYAN_LINE, dtype)), 1,
                                "krum").numpy().tolist()
    assert picks == [4, 0, 2, 5, 1]
    assert reference.bulyan_picks(BULYAN_LINE, 1, "krum") == picks
    np.testing.assert_array_equal(project("bulyan-krum", BULYAN_LINE, 1, dtype), [3.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_bulyan_coordinate_stage_uses_the_lower_median_for_even_theta(dtype):
    # theta = 6: sorted 1 2 3 4 5 10, lower middle value 3; beta = 4 closest: 3 (0), 2 and 4
    # (1 each), then 1 and 5 tie at 2 -> the lower, 1: (1 + 2 + 3 + 4) / 4 = 2.5.
    # Around the upper middle value 4: 4, 3, 5, 2 -> 3.5. Second column: the same values
    # negated and shifted, -1 -2 -3 -4 -5 -10 + 20: sorted 10 15 16 17 18 19, lower middle 16;
    # closest 16, 15 and 17, then 18 (2) before 10 (6) -> (15 + 16 + 17 + 18) / 4 = 16.5.
    picked = np.array([[5, 15], [1, 19], [10, 10], [3, 17], [2, 18], [4, 16]], dtype)
    for stage in (coordinatewise.closest_to_median_mean, coordinatewise.closest_to_median_mean_tf):
        np.testing.assert_array_equal(stage(tf.constant(picked), 4).numpy(), [2.5, 16.5])


# --- the plausible mistakes, in NumPy (built on the reference's helpers) ---------------------------

@functools.lru_cache(maxsize=None)
def _distances(rows, norm):
    return reference.distances(np.array(rows), norm)


def distances(x, norm):
    """reference.distances, computed once per input (the variants call it at every pick)."""
    return _distances(tuple(map(tuple, np.asarray(x, np.float64))), norm)


def lowest(values, ties="low"):
    values = np.asarray(values, np.float64)
    best = np.flatnonzero(values == values.min())
    return int(best[0] if ties == "low" else best[-1])


def krum_index(x, f, norm=2, active=None, neighbours=None, squared=True, ties="low"):
    d = distances(x, norm)
    d = d ** 2 if squared else d
    active = list(range(len(x))) if active is None else list(active)
    k = len(active) - f - 2 if neighbours is None else neighbours
    scores = [np.sum(sorted(d[i, j] for j in active if j != i)[:k]) for i in active]
    return active[lowest(scores, ties)]


def krum_scores(x, norm, neighbours):
    d = distances(x, norm) ** 2
    return np.array([np.sum(np.sort(np.delete(d[i], i))[:neighbours]) for i in range(len(x))])


def multi_krum(x, f, norm=2, m=None, neighbours=None):
    n = len(x)
    scores = krum_scores(x, norm, n - f - 2 if neighbours is None else neighbours)
    return reference.mean_of(x, np.argsort(scores, kind="stable")[:n - f if m is None else m])


def geomed_index(x, norm=2, active=None, squared=False, ties="low"):
    d = distances(x, norm)
    d = d ** 2 if squared else d
    active = list(range(len(x))) if active is None else list(active)
    return active[lowest([sum(d[i, j] for j in active) for i in active], ties)]


def brute_subset(x, f, norm=2, active=None, size=None, spread=max):
    d = distances(x, norm)
    active = list(range(len(x))) if active is None else list(active)
    subsets = list(itertools.combinations(active, len(active) - f if size is None else size))
    spreads = [spread([d[i, j] for i, j in itertools.combinations(s, 2)] or [0.0]) for s in subsets]
    return list(subsets[lowest(spreads)])


def bulyan(x, f, base, norm=2, theta=None, beta=None, neighbours=None, squared=False, size=None,
           upper_median=False):
    """Bulyan(base) with one of its choices changed (None: as in the paper)."""
    x = np.asarray(x, np.float64)
    n = len(x)
    remaining, picks = list(range(n)), []
    for _ in range(n - 2 * f if theta is None else theta):
        m = len(remaining)
        if m == 1:
            chosen = remaining[0]
        elif base == "krum":
            k = max(m - f - 2, 1) if neighbours is None else neighbours(m)
            chosen = krum_index(x, f, norm, remaining, k)
        elif base == "geomed":
            chosen = geomed_index(x, norm, remaining, squared)
        else:
            center = reference.mean_of(x, brute_subset(x, f, norm, remaining,
                                                       None if size is None else size(m)))
            gaps = np.array([np.linalg.norm(x[j] - center, ord=norm) for j in remaining])
            chosen = remaining[int(np.flatnonzero(gaps <= np.min(gaps) * (1 + 1e-9))[0])]
        picks.append(chosen)
        remaining.remove(chosen)

    def center(column):
        ordered = reference.sort_nan_last(column)
        return ordered[len(column) // 2 if upper_median else (len(column) - 1) // 2]

    count = n - 4 * f if beta is None else beta
    return reference.per_column(lambda c: reference.closest_mean(c, center(c), count), x[picks])


def variants(rule, x, f, norm, options):
    """{mistake: the output it would give} for `rule` on `x`."""
    n = len(x)
    if rule == "krum":
        pick = lambda **kw: np.asarray(x, np.float64)[krum_index(x, f, norm, **kw)]  # noqa: E731
        return {"n-f-3 neighbours": pick(neighbours=n - f - 3),
                "n-f-1 neighbours": pick(neighbours=n - f - 1),
                "plain distances": pick(squared=False)}
    if rule == "multi-krum":
        m = options.get("m")
        out = {"n-f-3 neighbours": multi_krum(x, f, norm, m, n - f - 3),
               "n-f-1 neighbours": multi_krum(x, f, norm, m, n - f - 1)}
        if m is None:
            out["m = n-f-1"] = multi_krum(x, f, norm, n - f - 1)
        return out
    if rule == "geomed":
        return {"squared distances": np.asarray(x, np.float64)[geomed_index(x, norm, squared=True)]}
    if rule == "brute":
        return {f"subsets of {n - f - 1}": reference.mean_of(x, brute_subset(x, f, norm, size=n - f - 1)),
                f"subsets of {n - f + 1}": reference.mean_of(x, brute_subset(x, f, norm, size=n - f + 1)),
                "sum of distances": reference.mean_of(x, brute_subset(x, f, norm, spread=sum))}
    base = rule[len("bulyan-"):]
    out = {"theta - 1 picks": bulyan(x, f, base, norm, theta=n - 2 * f - 1),
           "beta + 1": bulyan(x, f, base, norm, beta=n - 4 * f + 1)}
    if base == "krum":
        out["m-f-1 neighbours"] = bulyan(x, f, base, norm, neighbours=lambda m: max(m - f - 1, 1))
        out["n-f-2 neighbours"] = bulyan(x, f, base, norm, neighbours=lambda m: max(n - f - 2, 1))
    if base == "geomed":
        out["squared distances"] = bulyan(x, f, base, norm, squared=True)
    if base == "brute":
        out["subsets of m-f-1"] = bulyan(x, f, base, norm, size=lambda m: max(m - f - 1, 1))
    if (n - 2 * f) % 2 == 0:
        out["upper median"] = bulyan(x, f, base, norm, upper_median=True)
    return out


# (rule, f, norm, options, rows): small integers, found by a seeded search for inputs on which
# every variant above differs from the reference (and, for l2, no two scores within 1e-4 of each
# other, so that float32 rounding cannot decide).
DECISIVE = [
    ("krum", 2, 1, {}, [[1, 5], [0, -6], [1, 2], [-5, 0], [-2, 2], [3, -6], [-4, -6]]),
    ("krum", 2, 2, {}, [[-5, -1], [0, 1], [2, 0], [-6, 3], [6, 2], [5, 5], [1, 1]]),
    ("krum", 2, "inf", {}, [[4, 6], [-3, -4], [4, 4], [0, -5], [4, 0], [-5, -5], [-1, 2]]),
    ("multi-krum", 2, 1, {}, [[-3, -6], [-5, 6], [2, -6], [4, 6], [-6, -5], [-5, -5], [3, 4]]),
    ("multi-krum", 2, 1, {"m": 2}, [[-3, -6], [-5, 6], [2, -6], [4, 6], [-6, -5], [-5, -5], [3, 4]]),
    ("multi-krum", 2, 2, {}, [[-6, 3], [-4, -2], [6, -5], [1, -2], [-1, 6], [-4, 4], [3, -6]]),
    ("multi-krum", 2, 2, {"m": 2}, [[-6, 3], [-4, -2], [6, -5], [1, -2], [-1, 6], [-4, 4], [3, -6]]),
    ("multi-krum", 2, "inf", {}, [[3, 1], [-6, 0], [2, -6], [-5, -6], [6, -5], [2, -2], [-4, 4]]),
    ("multi-krum", 2, "inf", {"m": 2}, [[3, 1], [-6, 0], [2, -6], [-5, -6], [6, -5], [2, -2], [-4, 4]]),
    ("geomed", 2, 1, {}, [[-3, 4], [-1, 1], [0, 3], [-2, -5], [-3, 2]]),
    ("geomed", 2, 2, {}, [[1, -1], [-2, 6], [-2, -3], [5, -6], [-1, -2]]),
    ("geomed", 2, "inf", {}, [[6, 0], [-3, 1], [3, -5], [-3, -3], [4, 1]]),
    ("brute", 2, 1, {}, [[5, 2], [0, -3], [-2, -6], [-6, -6], [-4, 4], [2, 5]]),
    ("brute", 2, 2, {}, [[5, 2], [0, -3], [-2, -6], [-6, -6], [-4, 4], [2, 5]]),
    ("brute", 2, "inf", {}, [[5, 2], [0, -3], [-2, -6], [-6, -6], [-4, 4], [2, 5]]),
    ("bulyan-krum", 1, 2, {}, [[-1], [7], [9], [-4], [-7], [2], [3]]),
    ("bulyan-krum", 1, 2, {}, [[6], [-8], [4], [5], [0], [1], [-1], [-4]]),  # theta = 6, even
    ("bulyan-krum", 1, 2, {}, [[6, -5], [-7, -4], [-2, 6], [-1, -8], [-3, 2], [6, 4], [9, -6]]),
    ("bulyan-krum", 1, 1, {}, [[7, 3], [0, -4], [-4, -9], [-8, -9], [-6, 6], [3, 8], [0, 2], [9, 4]]),
    ("bulyan-krum", 2, "inf", {}, [[-1, 0, 5], [9, -9, -7], [6, 9, -5], [-4, 7, -1], [-4, 6, -5],
                                   [-2, 3, 1], [-8, -9, 7], [5, 6, 1], [6, -3, -1], [5, -7, -4],
                                   [-7, -1, 9]]),
    ("bulyan-geomed", 1, 2, {}, [[8, 2], [3, 8], [1, 5], [6, -5], [-8, -4], [-4, 7], [8, -9]]),
    ("bulyan-geomed", 1, 1, {}, [[-4, 5], [-2, 2], [-1, 4], [-3, -8], [-4, 2], [2, 9], [-5, -1],
                                 [8, -7]]),
    ("bulyan-geomed", 2, "inf", {}, [[4, 8, 7], [0, 8, 9], [9, -8, -1], [2, -4, -2], [2, 6, 2],
                                     [-6, 3, 7], [-5, 1, -3], [8, -8, 0], [8, -1, -7], [5, 9, 9],
                                     [8, -2, 4]]),
    ("bulyan-brute", 1, 2, {}, [[-1], [1], [0], [-3], [8], [-2], [3]]),
    ("bulyan-brute", 1, 2, {}, [[7], [0], [1], [-5], [-2], [-8], [-3], [4]]),  # theta = 6
    ("bulyan-brute", 1, 1, {}, [[-1, 0], [5, 9], [-9, -7], [6, 9], [-5, -4], [7, -1], [-4, 6],
                                [-5, -2]]),
    ("bulyan-brute", 1, "inf", {}, [[6, -5, -7], [-4, -2, 6], [-1, -8, -3], [2, 6, 4], [9, -6, 7],
                                    [-8, 1, -4], [-6, 3, -4], [1, -5, -7]]),
]


def decisive_id(case):
    rule, f, norm, options, rows = case
    return f"{rule}-n{len(rows)}-f{f}-norm{norm}" + "".join(f"-{k}{v}" for k, v in options.items())


@pytest.mark.parametrize("case", DECISIVE, ids=decisive_id)
def test_project_equals_reference_where_every_mistake_differs(case):
    rule, f, norm, options, rows = case
    x = np.asarray(rows, np.float64)
    p = math.inf if norm == "inf" else norm
    expected = reference.RULES[rule](x, f, norm=p, **options)
    for mistake, value in variants(rule, x, f, p, options).items():
        assert not np.allclose(value, expected, rtol=1e-9, atol=1e-9), \
            f"not decisive: {mistake} gives the reference's {expected}"
    # l1 and l_inf distances of small integers are exact: they are given (the same matrix the
    # project computes, `test_aggregators_api`), which spares an XLA compilation per shape.
    given = lambda dtype: {} if p == 2 else {"distances": reference.distances(x, p).astype(dtype)}  # noqa: E731
    for dtype in DTYPES:
        np.testing.assert_allclose(project(rule, x, f, dtype, norm=norm, **options, **given(dtype)),
                                   expected, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=1e-6,
                                   err_msg=f"{rule} {dtype.__name__}")
    if rule.startswith("bulyan-"):  # the order of the picks, each among the rows left
        base = rule[len("bulyan-"):]
        distances = given(np.float64).get("distances", aggregators.pairwise_distances(x, norm))
        picks = bulyan_module.picks(tf.constant(distances), f, base, tf.constant(x), p)
        assert picks.numpy().tolist() == reference.bulyan_picks(x, f, base, p)
    elif aggregators.get(rule).selects and rule != "multi-krum":
        want = {"krum": lambda: [reference.krum_select(x, f, p)],
                "geomed": lambda: [reference.geomed_select(x, p)],
                "brute": lambda: reference.brute_select(x, f, p)}[rule]()
        assert selected(rule, x, f, norm=norm, **given(np.float64)) == want
