"""Small statistics for a handful of runs (NumPy only): Spearman's rank correlation and the best
one-threshold split of a feature into two outcomes."""

import numpy as np


def ranks(values):
    """1-based ranks of `values`, ties sharing their mean rank."""
    values = np.asarray(values, np.float64)
    order = np.argsort(values, kind="stable")
    out = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        out[order[start:end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return out


def spearman(x, y):
    """Spearman's rho of two equal-length sequences (NaN pairs dropped); NaN when fewer than 3 pairs
    remain or one side is constant."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x.shape != y.shape:
        raise ValueError(f"spearman needs sequences of equal length, got {x.shape} and {y.shape}")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if len(x) < 3:
        return float("nan")
    rx, ry = ranks(x), ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denominator = np.sqrt((rx ** 2).sum() * (ry ** 2).sum())
    return float((rx * ry).sum() / denominator) if denominator > 0 else float("nan")


def best_split(feature, outcome):
    """The threshold on `feature` that best separates the boolean `outcome`: (threshold, direction,
    errors), predicting outcome = (feature > threshold) for direction ">" or (feature < threshold) for
    "<"; the threshold is the midpoint between two consecutive distinct values, errors the number of runs
    it misclassifies (fewest errors, then the widest gap)."""
    feature = np.asarray(feature, np.float64)
    outcome = np.asarray(outcome, bool)
    if feature.shape != outcome.shape or feature.size == 0:
        raise ValueError(f"best_split needs equal, non-empty lengths, got {feature.shape} and {outcome.shape}")
    values = np.unique(feature)
    candidates = [(values[0] - 1.0, 0.0)] + [((a + b) / 2, b - a) for a, b in zip(values[:-1], values[1:])]
    best = None
    for threshold, gap in candidates:
        for direction, predicted in ((">", feature > threshold), ("<", feature < threshold)):
            key = (int(np.sum(predicted != outcome)), -gap)
            if best is None or key < best[0]:
                best = (key, float(threshold), direction)
    (errors, _), threshold, direction = best
    return threshold, direction, errors
