"""Brute (paper section 2.3.1): among all subsets of n - f submissions, the one with the smallest
diameter max_{i,j} ||V_i - V_j||_p; output its mean. Needs n >= 2f+1.

The C(n, f) subsets and their pairs are listed once, at trace time (NumPy); the search is then
one gather from the distance matrix and one reduce_max. It refuses C(n, f) > MAX_SUBSETS
(100,000: about a second of tracing and tens of MB); the paper's setting n = 11, f = 5 has 462.
Ties go to the first subset in lexicographic order of indices.

Non-finite input: a subset holding a non-finite row has diameter +Inf; with at most f such rows
a subset of finite rows exists, so none of them is averaged into the output.
"""

import functools
import itertools
import math

import numpy as np
import tensorflow as tf

from aggregators import registry, selection
from aggregators.distances import finite_rows

MAX_SUBSETS = 100_000


def check_size(n, f, rule="brute"):
    """ValueError when the search over C(n, f) subsets is past MAX_SUBSETS."""
    count = math.comb(n, f)
    if count > MAX_SUBSETS:
        raise ValueError(f"{rule} would search C(n, f) = C({n}, {f}) = {count} subsets, more "
                         f"than its bound of {MAX_SUBSETS}")


@functools.lru_cache(maxsize=None)
def _subsets(count, size):
    """Subsets of `size` positions among `count` ([S, size]) and their pairs ([S, P] twice)."""
    subsets = np.array(list(itertools.combinations(range(count), size)), dtype=np.int32)
    first, second = np.triu_indices(size, 1)
    return subsets, subsets[:, first], subsets[:, second]


def best_subset(distances, remaining, f):
    """int32 [m - f]: the subset of `remaining` ([m] row indices) with the smallest diameter."""
    m = remaining.shape[0]
    check_size(m, f)
    subsets, first, second = _subsets(m, m - f)
    if first.shape[1] == 0:  # subsets of one row: all of diameter 0
        return tf.gather(remaining, subsets[0])
    pairs = tf.stack([tf.gather(remaining, first), tf.gather(remaining, second)], axis=-1)
    diameters = tf.reduce_max(tf.gather_nd(distances, pairs), axis=1)
    best = selection.first_argmin(diameters)
    return tf.gather(remaining, tf.gather(tf.constant(subsets), best))


def pick(distances, active, remaining, f, gradients, norm):
    """Brute among the `remaining` active rows, then the active row closest to its output (the
    subset's mean), as iterated by Bulyan (paper section 4); ties to the lowest index.

    For norm 2 the distance to the mean follows from the distance matrix alone:
    ||V_j - mu||^2 = mean_{i in S} ||V_j - V_i||^2 - sum_{i,l in S} ||V_i - V_l||^2 / (2 |S|^2).
    For norms 1 and inf the mean is formed and compared with every row (O(n d)); distances
    within 16 ulps of the smallest count as ties there (the two members of a two-row subset are
    exactly as far from its mean, which rounding would otherwise decide).
    """
    if remaining == 1:
        return selection.first_argmin(tf.zeros(active.shape, distances.dtype), active)
    subset = best_subset(distances, selection.active_rows(active, remaining), f)
    if norm == 2:
        to_subset = tf.gather(tf.square(distances), subset, axis=1)
        spread = tf.reduce_sum(tf.gather(to_subset, subset))
        size = tf.cast(tf.size(subset), distances.dtype)
        to_mean = tf.reduce_mean(to_subset, axis=1) - spread / (2 * size * size)
    else:
        mean = tf.reduce_mean(tf.gather(gradients, subset), axis=0)
        reduce = tf.reduce_sum if norm == 1 else tf.reduce_max
        to_mean = reduce(tf.abs(gradients - mean), axis=1)
        to_mean = tf.where(finite_rows(gradients), to_mean, tf.constant(math.inf, to_mean.dtype))
        ulp = np.finfo(to_mean.dtype.as_numpy_dtype).eps
        return selection.first_argmin(to_mean, active, relative_tolerance=16 * ulp)
    return selection.first_argmin(to_mean, active)


def select_from_distances(distances, f, norm=2):
    """int32 [n - f]: the smallest-diameter subset (ascending indices), from [n, n] distances."""
    return best_subset(distances, tf.range(distances.shape[0], dtype=tf.int32), f)


RULE = registry.register(selection.rule(
    name="brute",
    source="El Mhamdi, Guerraoui, Rouault. The Hidden Vulnerability of Distributed Learning in "
           "Byzantium. ICML 2018, section 2.3.1 (after Rousseeuw's minimum volume ellipsoid, 1985)",
    workers=(2, 1),
    select_from_distances=select_from_distances,
))
