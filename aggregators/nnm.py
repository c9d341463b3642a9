"""Nearest-neighbour mixing, NNM (Allouah, Farhadkhani, Guerraoui, Gupta, Pinot, Stephan, "Fixing
by Mixing: A Recipe for Optimal Byzantine ML under Heterogeneity", AISTATS 2023):

    y_i = 1/(n - f) * sum_{j in N_i} x_j,    i = 1, ..., n,

N_i the n - f submissions nearest to x_i in l2, x_i itself included (at distance 0); ties go to
the lowest index. n outputs; needs n >= f+1. As ByzFL's `NNM` (byzfl/aggregators/preaggregators.py).

Cost: one [n, n] distance matrix (`aggregators.distances`, one Gram matmul), one sort of each
of its rows, and one [n, n] @ [n, d] matmul with the 0 or 1/(n - f) weights (`aggregators.mixing`;
a gather of the n(n - f) rows would copy (n - f) times the gradients).

Non-finite input: a row with a NaN or +-Inf coordinate (or whose distances overflow) is at
distance +Inf from every other row, so with at most f such rows it is never among an honest
row's n - f nearest: the honest outputs are exact means of finite rows. A non-finite row's own
output mixes itself (first, at distance 0) and the lowest-indexed rows, and is non-finite.
"""

import tensorflow as tf

from aggregators import mixing, registry
from aggregators.distances import pairwise_distances
from aggregators.pre_aggregation import Step


def weights(distances, f):
    """[n, n] mixing weights: W_ij = 1/(n - f) for j among the n - f nearest to i, else 0."""
    n = distances.shape[0]
    ranking = tf.linalg.set_diag(distances, tf.zeros([n], distances.dtype))
    nearest = tf.argsort(ranking, axis=1, stable=True)[:, :n - f]
    members = tf.reduce_sum(tf.one_hot(nearest, n, dtype=distances.dtype), axis=1)
    return members / tf.cast(n - f, distances.dtype)


def pre_aggregate(gradients, f):
    """The n NNM outputs [n, d]."""
    return mixing.mix(weights(pairwise_distances(gradients), f), gradients)


STEP = registry.register_step(Step(
    name="nnm",
    source="Allouah, Farhadkhani, Guerraoui, Gupta, Pinot, Stephan. Fixing by Mixing: A Recipe "
           "for Optimal Byzantine ML under Heterogeneity. AISTATS 2023",
    workers=(1, 1),
    step_fn=pre_aggregate,
    weights_fn=lambda gradients, f, distances: weights(distances, f),
    needs_distances=True,
))
