"""Centered clipping (Karimireddy, He, Jaggi, "Learning from History for Byzantine Robust
Optimization", ICML 2021):

    v <- v + (1/n) sum_i (V_i - v) * min(1, tau / ||V_i - v||_2),   `iterations` times.

The rule here has no state (no momentum from the previous step), so v starts at the
coordinate-wise median. Options: `iterations` (default 3) and the clipping radius `tau`
(default None: the lower median of the distances ||V_i - v_0||, which makes the rule
scale-free; pass a number to fix it). Needs n >= 2f+1.

Non-finite input: a row with a non-finite coordinate contributes 0 (it is zeroed first, so
0 * Inf never appears); a finite row whose distance overflows is clipped to 0 as well. The
start is finite with at most f such rows, and so is the output.
"""

import tensorflow as tf

from aggregators import coordinatewise, registry, validation
from aggregators.distances import finite_rows
from aggregators.rule import Rule


def aggregate(gradients, f, iterations=3, tau=None):
    """The centered-clipping estimate after `iterations` steps from the coordinate-wise median."""
    n = gradients.shape[0]
    finite = finite_rows(gradients)
    rows = tf.cond(tf.reduce_all(finite), lambda: gradients,
                   lambda: tf.where(finite[:, None], gradients, tf.zeros_like(gradients)))
    dtype = gradients.dtype
    center = coordinatewise.median(gradients)
    radius = None if tau is None else tf.constant(tau, dtype)
    for _ in range(iterations):
        offsets = rows - center
        lengths = tf.sqrt(tf.reduce_sum(tf.square(offsets), axis=1))
        lengths = tf.where(finite, lengths, tf.fill([n], tf.constant(float("inf"), dtype)))
        if radius is None:
            radius = tf.sort(lengths)[(n - 1) // 2]
        scale = tf.where(lengths > radius, radius / lengths, tf.ones_like(lengths))
        scale = tf.where(finite, scale, tf.zeros_like(scale))
        center = center + tf.linalg.matvec(offsets, scale, transpose_a=True) / n
    return center


RULE = registry.register(Rule(
    name="centered-clipping",
    source="Karimireddy, He, Jaggi. Learning from History for Byzantine Robust Optimization. "
           "ICML 2021",
    workers=(2, 1),
    aggregate_fn=aggregate,
    options={"iterations": validation.positive_int, "tau": validation.optional_positive_float},
))
