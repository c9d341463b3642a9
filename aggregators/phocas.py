"""Phocas (Xie, Koyejo, Gupta, 2018, "Phocas: dimensional Byzantine-resilient stochastic gradient
descent"): per coordinate, the mean of the n - f values closest to the trimmed mean (the mean of
the values left after dropping the f largest and f smallest), ties toward the lower values.
Needs n >= 2f+1.

Non-finite input: NaN is ordered as +Inf; the trimmed mean drops at most f non-finite values,
which are then infinitely far from it and left out of the n - f closest: the output is finite.
"""

import tensorflow as tf

from aggregators import coordinatewise, registry, sorting
from aggregators.rule import Rule


def aggregate(gradients, f):
    """Per coordinate, the mean of the n - f values closest to the trimmed mean."""
    n = gradients.shape[0]
    ordered = sorting.sorted_rows(sorting.nan_as_inf(gradients), 0, n)
    center = tf.reduce_mean(ordered[f:n - f], axis=0)
    return coordinatewise.closest_window_mean(ordered, center, n - f)


RULE = registry.register(Rule(
    name="phocas",
    source="Xie, Koyejo, Gupta. Phocas: dimensional Byzantine-resilient stochastic gradient "
           "descent. arXiv:1805.09682, 2018",
    workers=(2, 1),
    aggregate_fn=aggregate,
    coordinatewise=True,
))
