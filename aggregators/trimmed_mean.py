"""Coordinate-wise trimmed mean (Yin, Chen, Ramchandran, Bartlett, ICML 2018): per coordinate,
drop the f largest and the f smallest values and average the n - 2f left. Needs n >= 2f+1.

Non-finite input: NaN is ordered as +Inf; at most f non-finite (or huge) values at a coordinate
sort to the extremes and are dropped, so the output is finite.
"""

import tensorflow as tf

from aggregators import registry, sorting
from aggregators.rule import Rule


def aggregate(gradients, f):
    """Per coordinate, the mean of the sorted values f .. n-f-1."""
    n = gradients.shape[0]
    kept = sorting.sorted_row_list(sorting.nan_as_inf(gradients), f, n - f)
    return tf.add_n(kept) / tf.cast(n - 2 * f, gradients.dtype)


RULE = registry.register(Rule(
    name="trimmed-mean",
    source="Yin, Chen, Ramchandran, Bartlett. Byzantine-Robust Distributed Learning: Towards "
           "Optimal Statistical Rates. ICML 2018 (coordinate-wise trimmed mean)",
    workers=(2, 1),
    aggregate_fn=aggregate,
    coordinatewise=True,
))
