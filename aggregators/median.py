"""Coordinate-wise median (Yin, Chen, Ramchandran, Bartlett, ICML 2018). For even n, the mean of
the two middle values. Needs n >= 2f+1.

Non-finite input: NaN is ordered as +Inf; with at most f rows non-finite (or huge) at a
coordinate, both middle values there come from the other rows, so the output is finite.
"""

from aggregators import coordinatewise, registry
from aggregators.rule import Rule


def aggregate(gradients, f):
    """Per coordinate, the median of the n values."""
    return coordinatewise.median(gradients)


RULE = registry.register(Rule(
    name="median",
    source="Yin, Chen, Ramchandran, Bartlett. Byzantine-Robust Distributed Learning: Towards "
           "Optimal Statistical Rates. ICML 2018 (coordinate-wise median)",
    workers=(2, 1),
    aggregate_fn=aggregate,
    coordinatewise=True,
))
