"""Krum (Blanchard, El Mhamdi, Guerraoui, Stainer, NeurIPS 2017; paper section 2.3.2).

score(V_i) = sum of the squared l_p distances from V_i to its n - f - 2 nearest other
submissions; Krum outputs the submission with the lowest score, ties to the lowest index.
Needs n >= 2f+3.

Non-finite input: a row with a NaN or +-Inf coordinate is at distance +Inf from every row, so
its score is +Inf; with at most f such rows every honest row has n - f - 1 >= n - f - 2 finite
neighbours and a finite score, so a non-finite row is never selected. A finite row whose squared
distances overflow scores +Inf as well.
"""

import math

import tensorflow as tf

from aggregators import registry, selection


def scores(squared_distances, neighbours, active=None):
    """[n] Krum scores: per row, the sum of its `neighbours` smallest squared distances to the
    other `active` rows (all rows if None); inactive rows score +Inf."""
    n = squared_distances.shape[0]
    inf = tf.constant(math.inf, squared_distances.dtype)
    others = ~tf.eye(n, dtype=tf.bool)
    if active is not None:
        others &= active[None, :]
    nearest = tf.sort(tf.where(others, squared_distances, inf), axis=1)[:, :neighbours]
    total = tf.reduce_sum(nearest, axis=1)
    return total if active is None else tf.where(active, total, inf)


def select_from_distances(distances, f, norm=2):
    """int32 [1]: the index Krum selects, from the [n, n] l_p distances (`norm` is implied)."""
    n = distances.shape[0]
    return selection.first_argmin(scores(tf.square(distances), n - f - 2))[None]


def pick(distances, active, remaining, f):
    """Krum among the `remaining` active rows, as iterated by Bulyan (paper section 4): the
    neighbour count is max(remaining - f - 2, 1); with one row left, that row."""
    neighbours = max(remaining - f - 2, 1)
    if remaining == 1:
        return selection.first_argmin(tf.zeros(active.shape, distances.dtype), active)
    return selection.first_argmin(scores(tf.square(distances), neighbours, active), active)


RULE = registry.register(selection.rule(
    name="krum",
    source="Blanchard, El Mhamdi, Guerraoui, Stainer. Machine Learning with Adversaries: "
           "Byzantine Tolerant Gradient Descent. NeurIPS 2017",
    workers=(2, 3),
    select_from_distances=select_from_distances,
    output=selection.the_selected_one,
))
