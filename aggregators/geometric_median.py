"""Geometric median, argmin_z sum_i ||V_i - z||_2, by the smoothed Weiszfeld iteration of
Pillutla, Kakade, Harchaoui (RFA, IEEE TSP 2022; Weiszfeld 1937). Unlike GeoMed (the medoid),
the output need not be a submission. Needs n >= 2f+1 (breakdown point 1/2).

    z_0     = the coordinate-wise median (robust start; the rule has no state)
    w_i     = 1 / max(nu, ||V_i - z_t||_2)
    z_{t+1} = sum_i w_i V_i / sum_i w_i

Options: `iterations` (default 8) bounds the number of steps; the loop stops earlier once
||z_{t+1} - z_t|| <= tolerance * ||z_{t+1}|| (`tolerance`, default 1e-6); `smoothing` nu
(default 1e-6, in the gradients' units) keeps the weights finite at a submission.

Non-finite input: a row with a non-finite coordinate gets weight 0 (and is zeroed, so 0 * Inf
never appears); so does a finite row whose distance overflows. The start is the coordinate-wise
median, finite with at most f such rows; the output is finite.
"""

import math

import tensorflow as tf

from aggregators import coordinatewise, registry, validation
from aggregators.distances import finite_rows
from aggregators.rule import Rule


def aggregate(gradients, f, iterations=8, tolerance=1e-6, smoothing=1e-6):
    """The (approximate) geometric median of the n submissions."""
    finite = finite_rows(gradients)
    rows = tf.cond(tf.reduce_all(finite), lambda: gradients,
                   lambda: tf.where(finite[:, None], gradients, tf.zeros_like(gradients)))
    dtype = gradients.dtype
    nu = tf.constant(smoothing, dtype)

    def step(z):
        distance = tf.sqrt(tf.reduce_sum(tf.square(rows - z), axis=1))
        weight = tf.where(finite, 1 / tf.maximum(distance, nu), tf.zeros_like(distance))
        total = tf.reduce_sum(weight)
        moved = tf.linalg.matvec(rows, weight, transpose_a=True) / total
        return tf.where(total > 0, moved, z)

    def keep_going(t, z, change):
        return (t < iterations) & (change > tolerance)

    def body(t, z, change):
        moved = step(z)
        change = tf.norm(moved - z) / tf.maximum(tf.norm(moved), tf.constant(1e-30, dtype))
        return t + 1, moved, tf.where(tf.math.is_finite(change), change, tf.zeros_like(change))

    start = coordinatewise.median(gradients)
    _, z, _ = tf.while_loop(keep_going, body,
                            (tf.constant(0), start, tf.constant(math.inf, dtype)))
    return z


RULE = registry.register(Rule(
    name="geometric-median",
    source="Pillutla, Kakade, Harchaoui. Robust Aggregation for Federated Learning. IEEE "
           "Transactions on Signal Processing, 2022 (smoothed Weiszfeld; Weiszfeld 1937)",
    workers=(2, 1),
    aggregate_fn=aggregate,
    options={"iterations": validation.positive_int,
             "tolerance": validation.non_negative_float,
             "smoothing": validation.positive_float},
))
