"""Small helpers shared by the rules that select submissions."""

import math

import tensorflow as tf


def first_argmin(scores, active=None, relative_tolerance=0.0):
    """int32 index of the smallest score among the `active` rows, ties to the lowest index.

    (tf.argmin does not promise which index it returns on ties.) Scores within
    `relative_tolerance` of the smallest count as ties (for values that are equal in exact
    arithmetic but rounded differently). If every active score is +Inf, the lowest active index.
    """
    n = scores.shape[0]
    if active is None:
        active = tf.ones([n], tf.bool)
    inf = tf.constant(math.inf, scores.dtype)
    scores = tf.where(active, scores, inf)
    best = tf.reduce_min(scores)
    if relative_tolerance:
        candidates = active & (scores <= best + relative_tolerance * tf.abs(best))
    else:
        candidates = active & tf.equal(scores, best)
    if_none = active  # every active score is NaN-free +Inf: take the first active one
    candidates = tf.cond(tf.reduce_any(candidates), lambda: candidates, lambda: if_none)
    index = tf.where(candidates, tf.range(n, dtype=tf.int32), n)
    return tf.reduce_min(index)


def active_rows(active, count):
    """int32 indices [count] of the True entries of `active` (static count)."""
    return tf.reshape(tf.cast(tf.where(active)[:, 0], tf.int32), [count])


def mean_of_rows(gradients, indices):
    """mean_{i in indices} gradients[i], [d].

    Computed as one weighted sum over all rows (a read of the matrix, no [m, d] copy); if that is
    not finite (0 * Inf from an unselected non-finite row, or a selected one), it is recomputed
    from the gathered rows, which is exact in every case.
    """
    n = gradients.shape[0]
    weights = tf.scatter_nd(indices[:, None], tf.ones(tf.shape(indices), gradients.dtype), [n])
    weights /= tf.cast(tf.size(indices), gradients.dtype)
    weighted = tf.linalg.matvec(gradients, weights, transpose_a=True)
    return tf.cond(tf.reduce_all(tf.math.is_finite(weighted)), lambda: weighted,
                   lambda: tf.reduce_mean(tf.gather(gradients, indices), axis=0))
