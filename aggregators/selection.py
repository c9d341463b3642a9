"""The rules that select whole submissions by their pairwise l_p distances (Krum, GeoMed, Brute,
Multi-Krum; paper section 2.3): `rule` builds one from its selection, plus small helpers they share."""

import math

import tensorflow as tf

from aggregators import validation
from aggregators.distances import distances_for
from aggregators.rule import Rule


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


def the_selected_one(gradients, indices):
    """The one selected submission itself, [d] (Krum, GeoMed)."""
    return tf.gather(gradients, indices[0])


def rule(name, source, workers, select_from_distances, output=mean_of_rows, options=None):
    """A `Rule` whose output is `output(gradients, indices)` of the submissions that
    `select_from_distances(distances [n, n], f, norm, **options) -> int32 indices` picks. The rule takes
    the options `norm` (of the distances) and `distances` (precomputed, checked against the gradients),
    plus `options` (name -> validator)."""

    def select(gradients, f, norm=2, distances=None, **extra):
        return select_from_distances(distances_for(gradients, norm, distances, name), f, norm=norm, **extra)

    def aggregate(gradients, f, norm=2, distances=None, **extra):
        return output(gradients, select(gradients, f, norm, distances, **extra))

    return Rule(name=name, source=source, workers=workers, aggregate_fn=aggregate,
                options={"norm": validation.norm, "distances": validation.matrix, **(options or {})},
                select_fn=select, select_from_distances_fn=select_from_distances)
