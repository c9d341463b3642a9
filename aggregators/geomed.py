"""GeoMed: the medoid (paper section 2.3.3, after Rousseeuw 1985 and Blanchard et al. 2017):
argmin_i sum_j ||V_i - V_j||_p over the submissions, ties to the lowest index. Needs n >= 2f+1.
It is not the geometric median itself (see `geometric-median`).

Non-finite input: a row with a NaN or +-Inf coordinate is at distance +Inf from every row, which
would make every sum +Inf and every row tie. The sums are therefore compared as the limit of
replacing +Inf by an ever larger constant: first by how many +Inf terms a row's sum has, then by
the sum of its finite terms. With all distances finite this is exactly the paper's rule; with at
most f bad rows (non-finite, or so large that their squared distances overflow) an honest row
has at most f +Inf terms and a bad one at least n - f > f, so a bad row is never selected.
"""

import math

import tensorflow as tf

from aggregators import registry, selection


def pick(distances, active=None):
    """int32 index of the medoid of the `active` rows (all if None)."""
    n = distances.shape[0]
    if active is None:
        active = tf.ones([n], tf.bool)
    inf = tf.constant(math.inf, distances.dtype)
    finite = distances < inf
    counted = active[None, :] & finite
    total = tf.reduce_sum(tf.where(counted, distances, tf.zeros_like(distances)), axis=1)
    infinite_terms = tf.reduce_sum(tf.cast(active[None, :] & ~finite, tf.int32), axis=1)
    fewest = tf.reduce_min(tf.where(active, infinite_terms, n + 1))
    return selection.first_argmin(total, active & tf.equal(infinite_terms, fewest))


def select_from_distances(distances, f, norm=2):
    """int32 [1]: the medoid's index, from the [n, n] l_p distances (`norm` is implied)."""
    return pick(distances)[None]


RULE = registry.register(selection.rule(
    name="geomed",
    source="El Mhamdi, Guerraoui, Rouault. The Hidden Vulnerability of Distributed Learning in "
           "Byzantium. ICML 2018, section 2.3.3 (the medoid; Rousseeuw 1985)",
    workers=(2, 1),
    select_from_distances=select_from_distances,
    output=selection.the_selected_one,
))
