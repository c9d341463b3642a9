"""An independent plain-NumPy transcription of each rule (float64, loops over pairs and subsets,
lexicographic sorts instead of windows), itself checked here on hand-computed cases.

The other test_aggregators_* files compare the TensorFlow rules with it.
"""

import itertools
import math

import numpy as np
import pytest


def distances(x, norm=2):
    """||x_i - x_j||_p pair by pair in float64; +Inf for a row with a non-finite coordinate."""
    x = np.asarray(x, np.float64)
    n = len(x)
    finite = np.all(np.isfinite(x), axis=1)
    out = np.full((n, n), np.inf)
    for i in range(n):
        for j in range(n):
            if finite[i] and finite[j]:
                out[i, j] = np.linalg.norm(x[i] - x[j], ord=norm)
    return out


def krum_select(x, f, norm=2, active=None, neighbours=None):
    """Index of the lowest score sum of squared distances to the nearest others (first on ties)."""
    d = distances(x, norm) ** 2
    n = len(x)
    active = list(range(n)) if active is None else active
    k = len(active) - f - 2 if neighbours is None else neighbours
    scores = [np.sum(sorted(d[i, j] for j in active if j != i)[:k]) for i in active]
    return active[int(np.argmin(scores))]


def geomed_select(x, norm=2, active=None):
    """Medoid: fewest infinite distances first, then the smallest finite sum (first on ties)."""
    d = distances(x, norm)
    active = list(range(len(x))) if active is None else active
    keys = [(sum(np.isinf(d[i, j]) for j in active),
             sum(d[i, j] for j in active if np.isfinite(d[i, j]))) for i in active]
    return active[min(range(len(active)), key=lambda a: (keys[a], a))]


def brute_select(x, f, norm=2, active=None):
    """The first subset of len(active) - f rows with the smallest diameter."""
    d = distances(x, norm)
    active = list(range(len(x))) if active is None else active
    best, best_diameter = None, None
    for subset in itertools.combinations(active, len(active) - f):
        diameter = max((d[i, j] for i, j in itertools.combinations(subset, 2)), default=0.0)
        if best is None or diameter < best_diameter:
            best, best_diameter = subset, diameter
    return list(best)


def mean_of(x, rows):
    return np.mean(np.asarray(x, np.float64)[list(rows)], axis=0)


def closest_mean(values, center, count):
    """Mean of the `count` values closest to `center`, ties to the lower value; NaN as +Inf."""
    values = np.where(np.isnan(values), np.inf, np.asarray(values, np.float64))
    with np.errstate(invalid="ignore"):
        gap = np.where(values == center, 0.0, np.abs(values - center))  # 0 also for Inf == Inf
    order = np.lexsort((values, gap))  # by gap, then by value
    with np.errstate(invalid="ignore"):  # +Inf and -Inf both chosen: NaN, as for TF
        return np.mean(values[order[:count]])


def per_column(function, x):
    x = np.asarray(x, np.float64)
    return np.array([function(x[:, k]) for k in range(x.shape[1])])


def sort_nan_last(column):
    return np.sort(np.where(np.isnan(column), np.inf, column))


def lower_median(column):
    return sort_nan_last(column)[(len(column) - 1) // 2]


def closest_to_median_mean(picked, beta):
    return per_column(lambda c: closest_mean(c, lower_median(c), beta), picked)


def median(x):
    def one(c):
        s = sort_nan_last(c)
        n = len(s)
        return s[(n - 1) // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    return per_column(one, x)


def trimmed_mean(x, f):
    return per_column(lambda c: np.mean(sort_nan_last(c)[f:len(c) - f]), x)


def meamed(x, f):
    middle = median(x)
    x = np.asarray(x, np.float64)
    return np.array([closest_mean(x[:, k], middle[k], len(x) - f) for k in range(x.shape[1])])


def phocas(x, f):
    center = trimmed_mean(x, f)
    x = np.asarray(x, np.float64)
    return np.array([closest_mean(x[:, k], center[k], len(x) - f) for k in range(x.shape[1])])


def krum(x, f, norm=2):
    return np.asarray(x, np.float64)[krum_select(x, f, norm)]


def geomed(x, f, norm=2):
    return np.asarray(x, np.float64)[geomed_select(x, norm)]


def brute(x, f, norm=2):
    return mean_of(x, brute_select(x, f, norm))


def multi_krum(x, f, norm=2, m=None):
    d = distances(x, norm) ** 2
    n = len(x)
    scores = [np.sum(sorted(d[i, j] for j in range(n) if j != i)[:n - f - 2]) for i in range(n)]
    chosen = np.argsort(scores, kind="stable")[:n - f if m is None else m]
    return mean_of(x, chosen)


def bulyan_picks(x, f, base, norm=2):
    n = len(x)
    remaining, picks = list(range(n)), []
    for _ in range(n - 2 * f):
        m = len(remaining)
        if m == 1:
            chosen = remaining[0]
        elif base == "krum":
            chosen = krum_select(x, f, norm, remaining, max(m - f - 2, 1))
        elif base == "geomed":
            chosen = geomed_select(x, norm, remaining)
        else:
            center = mean_of(x, brute_select(x, f, norm, remaining))
            gaps = np.array([np.linalg.norm(np.asarray(x, np.float64)[j] - center, ord=norm)
                    for j in remaining])
            # the lowest index among equal gaps (two members of a pair are equally far from
            # its mean; rounding must not decide)
            chosen = remaining[int(np.flatnonzero(gaps <= np.min(gaps) * (1 + 1e-9))[0])]
        picks.append(chosen)
        remaining.remove(chosen)
    return picks


def bulyan(x, f, base="krum", norm=2):
    theta = len(x) - 2 * f
    return closest_to_median_mean(np.asarray(x, np.float64)[bulyan_picks(x, f, base, norm)],
                                  theta - 2 * f)


def geometric_median(x, f, iterations=8, tolerance=1e-6, smoothing=1e-6):
    x = np.asarray(x, np.float64)
    finite = np.all(np.isfinite(x), axis=1)
    z = median(x)
    for _ in range(iterations):
        weights = np.array([1 / max(smoothing, np.linalg.norm(row - z)) if ok else 0.0
                            for row, ok in zip(x, finite)])
        moved = sum(w * row for w, row, ok in zip(weights, x, finite) if ok) / weights.sum()
        change = np.linalg.norm(moved - z) / max(np.linalg.norm(moved), 1e-30)
        z = moved
        if change <= tolerance:
            break
    return z


def centered_clipping(x, f, iterations=3, tau=None):
    x = np.asarray(x, np.float64)
    n = len(x)
    finite = np.all(np.isfinite(x), axis=1)
    v = median(x)
    for _ in range(iterations):
        lengths = np.array([np.linalg.norm(row - v) if ok else np.inf
                            for row, ok in zip(x, finite)])
        if tau is None:
            tau = np.sort(lengths)[(n - 1) // 2]
        step = sum((row - v) * min(1.0, tau / length) if length > 0 else row - v
                   for row, length, ok in zip(x, lengths, finite) if ok)
        v = v + step / n
    return v


def average(x, f):
    return np.mean(np.asarray(x, np.float64), axis=0)


RULES = {
    "average": average,
    "median": lambda x, f: median(x),
    "trimmed-mean": trimmed_mean,
    "meamed": meamed,
    "phocas": phocas,
    "krum": krum,
    "geomed": geomed,
    "brute": brute,
    "multi-krum": multi_krum,
    "bulyan-krum": lambda x, f, norm=2: bulyan(x, f, "krum", norm),
    "bulyan": lambda x, f, norm=2: bulyan(x, f, "krum", norm),
    "bulyan-geomed": lambda x, f, norm=2: bulyan(x, f, "geomed", norm),
    "bulyan-brute": lambda x, f, norm=2: bulyan(x, f, "brute", norm),
    "geometric-median": geometric_median,
    "centered-clipping": centered_clipping,
}

# Hand-computed cases: (rule, rows, f, options, expected output). Derivations in comments.
LINE = [[0.0], [1.0], [3.0], [7.0], [20.0]]
SEVEN = [[0.0], [1.0], [2.0], [4.0], [8.0], [16.0], [100.0]]
TRIANGLE = [[0.0, 0.0], [2.0, 2.0], [3.0, 0.0]]
HAND_CASES = [
    # Krum, n=5, f=1, 2 neighbours: scores 1+9, 1+4, 4+9, 16+36, 169+289 -> row 1.
    ("krum", LINE, 1, {}, [1.0]),
    # Ties: every middle row scores 1+1 = 2 -> the lowest index, row 0 = [3].
    ("krum", [[3.0], [2.0], [1.0], [0.0], [4.0]], 1, {}, [3.0]),
    # GeoMed: sums 31, 28, 26, 30, 69 -> [3].
    ("geomed", LINE, 1, {}, [3.0]),
    # GeoMed on TRIANGLE: l1 sums 7, 7, 6 -> row 2; l2 sums 5.83, 5.06, 5.24 -> row 1;
    # l_inf sums 5, 4, 5 -> row 1.
    ("geomed", TRIANGLE, 1, {"norm": 1}, [3.0, 0.0]),
    ("geomed", TRIANGLE, 1, {"norm": 2}, [2.0, 2.0]),
    ("geomed", TRIANGLE, 1, {"norm": "inf"}, [2.0, 2.0]),
    # Brute n=5, f=2: {0, 1, 3} has the smallest diameter, 3 -> mean 4/3.
    ("brute", LINE, 2, {}, [4.0 / 3.0]),
    # Brute on TRIANGLE, pairs (0,1), (0,2), (1,2): l1 4, 3, 3 -> first tie (0,2), mean (1.5, 0);
    # l_inf 2, 3, 2 -> (0,1), mean (1, 1); l2 2.83, 3, 2.24 -> (1,2), mean (2.5, 1).
    ("brute", TRIANGLE, 1, {"norm": 1}, [1.5, 0.0]),
    ("brute", TRIANGLE, 1, {"norm": math.inf}, [1.0, 1.0]),
    ("brute", TRIANGLE, 1, {}, [2.5, 1.0]),
    # Multi-Krum: scores as Krum's, the 4 lowest rows 1, 0, 2, 3 -> mean 11/4; m = 2 -> 1/2.
    ("multi-krum", LINE, 1, {}, [2.75]),
    ("multi-krum", LINE, 1, {"m": 2}, [0.5]),
    # Bulyan(Krum), n=7, f=1, theta=5, beta=3: picks 2 (tie 2|4 at 45), 4, 1, 0 (1 neighbour,
    # tie 0|8|16 at 64), 8 -> sorted 0 1 2 4 8, median 2, closest 2, 1 and 0|4 tie -> 0: mean 1.
    ("bulyan-krum", SEVEN, 1, {}, [1.0]),
    # Bulyan(GeoMed): picks 4 (121), 2 (121, tie with 8), 8 (115), 1 (115, tie with 16),
    # 16 (100) -> sorted 1 2 4 8 16, median 4, closest 4, 2, 1 -> 7/3.
    ("bulyan-geomed", SEVEN, 1, {}, [7.0 / 3.0]),
    # Bulyan(Brute): subset means 31/6, 27/5, 19/4, 17/3, 8 -> picks 4, 8, 2, 1, 0 (tie 0|16)
    # -> as Bulyan(Krum): 1.
    ("bulyan-brute", SEVEN, 1, {}, [1.0]),
    # Median of 4 values: (2 + 3) / 2.
    ("median", [[1.0], [2.0], [10.0], [3.0]], 1, {}, [2.5]),
    ("median", LINE, 2, {}, [3.0]),
    # Trimmed mean, f=1: drop -100 and 5 -> mean(1, 2, 3).
    ("trimmed-mean", [[5.0], [-100.0], [1.0], [2.0], [3.0]], 1, {}, [2.0]),
    # MeaMed n=7, f=2: median 4; the 5 closest of 0 1 4 4 9 10 50 are 0 1 4 4 9 -> 3.6.
    ("meamed", [[0.0], [1.0], [4.0], [4.0], [9.0], [10.0], [50.0]], 2, {}, [3.6]),
    # MeaMed n=4, f=1: median 2, gaps 2 1 1 2, tie 0|4 -> lower: mean(0, 1, 3) = 4/3.
    ("meamed", [[0.0], [1.0], [3.0], [4.0]], 1, {}, [4.0 / 3.0]),
    # Phocas n=7, f=2: trimmed mean (4+4+9)/3 = 17/3; closest 5: 1 4 4 9 10 -> 5.6.
    ("phocas", [[0.0], [1.0], [4.0], [4.0], [9.0], [10.0], [50.0]], 2, {}, [5.6]),
    # Centered clipping from the median 1 of 0 1 5: tau = 2 -> 4/3, then 4/3 + 1/9 = 13/9.
    ("centered-clipping", [[0.0], [1.0], [5.0]], 1, {"iterations": 2, "tau": 2.0}, [13.0 / 9.0]),
    # Default tau: lower median of the distances 1, 0, 4 -> 1: every step stays at 1.
    ("centered-clipping", [[0.0], [1.0], [5.0]], 1, {}, [1.0]),
    # No clipping, one step: the mean.
    ("centered-clipping", [[0.0], [1.0], [5.0]], 1, {"iterations": 1, "tau": 100.0}, [2.0]),
    # Geometric median of 0 1 10 on a line is the median 1; of an equilateral triangle, its
    # centre (1, 1/sqrt(3)).
    ("geometric-median", [[0.0], [1.0], [10.0]], 1, {}, [1.0]),
    ("geometric-median", [[0.0, 0.0], [2.0, 0.0], [1.0, math.sqrt(3.0)]], 1,
     {"iterations": 200, "tolerance": 1e-12}, [1.0, 1.0 / math.sqrt(3.0)]),
    ("average", LINE, 0, {}, [6.2]),
]


def hand_case_id(case):
    rule, _, f, options, _ = case
    return f"{rule}-f{f}-" + "-".join(f"{k}{v}" for k, v in options.items())


@pytest.mark.parametrize("case", HAND_CASES, ids=hand_case_id)
def test_reference_matches_hand_computed(case):
    rule, rows, f, options, expected = case
    options = {k: (math.inf if v == "inf" else v) for k, v in options.items()}
    np.testing.assert_allclose(RULES[rule](rows, f, **options), expected, rtol=1e-6, atol=1e-7)


def test_reference_distances_hand_computed():
    rows = [[0.0, 0.0], [3.0, 4.0], [np.nan, 0.0]]
    np.testing.assert_array_equal(distances(rows, 2)[:2, :2], [[0, 5], [5, 0]])
    np.testing.assert_array_equal(distances(rows, 1)[0, 1], 7)
    np.testing.assert_array_equal(distances(rows, np.inf)[0, 1], 4)
    assert np.all(np.isinf(distances(rows)[2])) and np.all(np.isinf(distances(rows)[:, 2]))


def test_reference_closest_to_median_mean_hand_computed():
    # columns: 0 1 2 4 8 -> median 2, ties 0|4 -> lower -> mean(0, 1, 2) = 1;
    # NaN 1 2 3 4 -> NaN is +Inf, median 3, closest 3, 2|4 -> mean 3.
    picked = np.array([[0, np.nan], [1, 1], [2, 2], [4, 3], [8, 4]], np.float64)
    np.testing.assert_array_equal(closest_to_median_mean(picked, 3), [1.0, 3.0])
