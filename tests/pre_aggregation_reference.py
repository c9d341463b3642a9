"""Plain-NumPy transcriptions of the pre-aggregation steps (float64, loops, one row at a time),
written from the papers' definitions and ByzFL's (byzfl/aggregators/preaggregators.py), for
tests/test_pre_aggregation*.py to compare the TensorFlow steps and chains with."""

import math

import numpy as np

import test_aggregators_reference as rules_reference


def norm(row):
    """||row||_2 in float64 (of row / its largest |coordinate|, times that, so that squares
    cannot overflow), +Inf for a row with a non-finite coordinate."""
    row = np.asarray(row, np.float64)
    if not np.all(np.isfinite(row)):
        return math.inf
    peak = np.max(np.abs(row))
    return 0.0 if peak == 0 else float(peak * np.sqrt(np.sum((row / peak) ** 2)))


def nnm(x, f):
    """y_i = mean of the n - f rows nearest to x_i (itself at distance 0 first; ties to the
    lowest index); rows with a non-finite coordinate are +Inf away from every other row."""
    x = np.asarray(x, np.float64)
    n = len(x)
    with np.errstate(all="ignore"):  # Inf - Inf in the means of hostile rows: NaN, as defined
        distances = rules_reference.distances(x)
    np.fill_diagonal(distances, 0.0)
    out = []
    for i in range(n):
        nearest = np.argsort(distances[i], kind="stable")[:n - f]
        # in index order, so that equal neighbourhoods give bit-identical means (exact ties)
        with np.errstate(all="ignore"):
            out.append(np.mean(x[np.sort(nearest)], axis=0))
    return np.array(out)


def bucketing(x, order, s):
    """Means of consecutive groups of s rows of x[order], the last group possibly smaller."""
    x = np.asarray(x, np.float64)[np.asarray(order)]
    with np.errstate(all="ignore"):
        return np.array([np.mean(x[start:start + s], axis=0) for start in range(0, len(x), s)])


def clip_row(row, limit):
    """min(1, limit / ||row||) row; a row with a non-finite coordinate, if clipped, becomes 0."""
    row = np.asarray(row, np.float64)
    length = norm(row)
    if not length > limit:
        return row.copy()
    if not np.all(np.isfinite(row)):
        return np.zeros_like(row)
    return row * (limit / length)


def clip(x, f, c=2.0):
    return np.array([clip_row(row, c) for row in x])


def arc(x, f):
    """ByzFL's ARC: the k = floor(2 (f/n) (n - f)) rows of largest norm clipped to the norm of
    the (k+1)-th largest (stable sort of the norms, ascending)."""
    x = np.asarray(x, np.float64)
    n = len(x)
    k = (2 * f * (n - f)) // n
    norms = np.array([norm(row) for row in x])
    ascending = np.argsort(norms, kind="stable")
    out = x.copy()
    if k == 0:
        return out
    threshold = norms[ascending[n - k - 1]]
    for i in ascending[n - k:]:
        out[i] = clip_row(x[i], threshold)
    return out


STEPS = {"nnm": nnm, "clip": clip, "arc": arc}
