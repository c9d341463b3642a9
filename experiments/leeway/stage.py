"""Bulyan's coordinate-wise stage on one coordinate, in NumPy (paper, section 4): the median of the theta
picked values, the beta = theta - 2f values kept around it, and where they lie against the honest picks.

It follows `aggregators.coordinatewise.closest_to_median_mean_tf` (median = sorted[(theta - 1) // 2],
the window of beta consecutive sorted values closest to it, ties toward the lower values), so its mean
is Bulyan's output there; what it adds is what section 4's sentence and Proposition 2's proof speak of:
- the sentence: "the median of the theta coordinates i of the selected gradients is always bounded by
  coordinates from non-Byzantine submissions";
- the proof step: "on each side of median[i] ... there are at least f workers who are farther from
  median[i] than is any B[i]", hence honest picks g_l[i] <= B[i] <= g_r[i] for every kept B[i].
"""

import numpy as np


def window(sorted_values, beta):
    """(median position, first kept position) of Bulyan's window on ascending `sorted_values` [theta]:
    among the windows of beta consecutive values holding the median, the start s is left for s + 1
    while median - v[s] > v[s + beta] - median (a value equal to the median is at distance 0)."""
    theta = len(sorted_values)
    middle = (theta - 1) // 2
    first, last = max(0, middle - beta + 1), min(middle, theta - beta)
    center = sorted_values[middle]
    start = first
    for s in range(first, last):
        lower_gap = 0.0 if sorted_values[s] == center else center - sorted_values[s]
        upper_gap = 0.0 if sorted_values[s + beta] == center else sorted_values[s + beta] - center
        start += int(lower_gap > upper_gap)
    return middle, start


def stage(values, honest, f):
    """One coordinate's stage: `values` [theta] the picked values, `honest` [theta] bool (picked row is
    honest). Returns the median (and whether an honest pick holds it), the kept values' mean (Bulyan's
    output), their lowest and highest, the honest picks' lowest and highest, and how many left-out
    picks lie below / above the kept window."""
    values, honest = np.asarray(values, np.float64), np.asarray(honest, bool)
    beta = len(values) - 2 * f  # theta - 2f (section 4)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    middle, start = window(ordered, beta)
    kept = ordered[start:start + beta]
    return {"median": float(ordered[middle]), "median_honest": bool(honest[order][middle]),
            "mean": float(kept.mean()), "kept_low": float(kept.min()),
            "kept_high": float(kept.max()), "honest_low": float(values[honest].min()),
            "honest_high": float(values[honest].max()), "below": start,
            "above": len(values) - beta - start}


def median_bounded(case):
    """Section 4's sentence on one stage: honest picks on both sides of the median (lowest <= median <=
    highest)."""
    return case["honest_low"] <= case["median"] <= case["honest_high"]


def f_on_each_side(case, f):
    """The proof step's premise on one stage: at least f left-out picks below the kept values and f above
    (a left-out pick is never nearer the median than a kept one: the lenient reading of "farther")."""
    return case["below"] >= f and case["above"] >= f


def kept_between_honest(case):
    """The proof step's conclusion on one stage: g_l[i] <= B[i] <= g_r[i] for honest picks l, r and every
    kept value B[i]."""
    return case["honest_low"] <= case["kept_low"] and case["kept_high"] <= case["honest_high"]
