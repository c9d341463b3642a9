"""MeaMed, mean around the median (Xie, Koyejo, Gupta, 2018, "Generalized Byzantine-tolerant
SGD"): per coordinate, the mean of the n - f values closest to the median (for even n the mean of
the two middle values), ties toward the lower values. Needs n >= 2f+1.

Non-finite input: NaN is ordered as +Inf; the median is finite when at most f values are
non-finite, and a non-finite value is infinitely far from it, so the n - f closest values are
the finite ones: the output is finite.
"""

from aggregators import coordinatewise, registry, sorting
from aggregators.rule import Rule


def aggregate(gradients, f):
    """Per coordinate, the mean of the n - f values closest to the median."""
    n = gradients.shape[0]
    ordered = sorting.sorted_rows(sorting.nan_as_inf(gradients), 0, n)
    center = coordinatewise.median_of_sorted_middle(ordered[(n - 1) // 2:n // 2 + 1])
    return coordinatewise.closest_window_mean(ordered, center, n - f)


RULE = registry.register(Rule(
    name="meamed",
    source="Xie, Koyejo, Gupta. Generalized Byzantine-tolerant SGD. arXiv:1802.10116, 2018 "
           "(MeaMed)",
    workers=(2, 1),
    aggregate_fn=aggregate,
    coordinatewise=True,
))
