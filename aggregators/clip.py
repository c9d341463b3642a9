"""Static clipping (ByzFL's `Clipping`, byzfl/aggregators/preaggregators.py; the fixed-threshold
baseline of Allouah, Guerraoui, Gupta, Jellouli, Rizk, Stephan, "The Vital Role of Gradient
Clipping in Byzantine-Resilient Distributed Learning", arXiv:2405.14432, 2024):

    x_i <- min(1, c / ||x_i||_2) x_i,    i = 1, ..., n.

Option `c` > 0, default 2.0 (ByzFL's default; it is in the gradients' units, so set it for the
model at hand). n outputs; needs n >= 1. A row of norm <= c is output unchanged, bit for bit.

Non-finite input: a row with a NaN or +-Inf coordinate has norm +Inf and no direction; it is
clipped to the zero vector (norm 0 <= c), so every output row is finite. A finite row whose sum
of squares overflows is measured after dividing it by its largest |coordinate|, and clipped
exactly: c x_i / ||x_i||. `row_norms` and `clip_rows` are shared with ARC (`aggregators.arc`).
"""

import math

import tensorflow as tf

from aggregators import registry, validation
from aggregators.distances import finite_rows
from aggregators.pre_aggregation import Step

DEFAULT_C = 2.0


def row_norms(rows):
    """[n] l2 norms of the rows of `rows` [n, d]: +Inf for a row with a non-finite coordinate;
    a finite row whose sum of squares overflows is measured as peak * ||row / peak||, peak its
    largest |coordinate| (+Inf only past the dtype's largest number)."""
    norms = tf.sqrt(tf.reduce_sum(tf.square(rows), axis=1))
    return tf.cond(tf.reduce_all(tf.math.is_finite(norms)), lambda: norms,
                   lambda: _rescaled_norms(rows, norms))


def _peaks(rows, finite):
    """[n] the largest |coordinate| of each finite row (1 for zero and non-finite rows)."""
    peaks = tf.reduce_max(tf.where(finite[:, None], tf.abs(rows), tf.zeros_like(rows)), axis=1)
    return tf.where(peaks > 0, peaks, tf.ones_like(peaks))


def _rescaled_norms(rows, norms):
    finite = finite_rows(rows)
    peaks = _peaks(rows, finite)
    rescaled = peaks * tf.sqrt(tf.reduce_sum(tf.square(rows / peaks[:, None]), axis=1))
    rescaled = tf.where(finite, rescaled, tf.constant(math.inf, rows.dtype))
    return tf.where(tf.math.is_finite(norms), norms, rescaled)


def clip_rows(rows, norms, limit):
    """min(1, limit / norm_i) x_i for the rows x_i of `rows` [n, d] and their `norms` [n]
    (`row_norms`); `limit` a scalar > 0, possibly +Inf (then nothing is clipped). A clipped row
    with a non-finite coordinate becomes 0; one of finite coordinates but norm +Inf becomes
    (x_i / peak) * (limit / ||x_i / peak||)."""
    scale = tf.where(norms > limit, limit / norms, tf.ones_like(norms))
    return tf.cond(tf.reduce_all(tf.math.is_finite(norms)), lambda: rows * scale[:, None],
                   lambda: _clip_infinite(rows, norms, limit, scale))


def _clip_infinite(rows, norms, limit, scale):
    finite = finite_rows(rows)
    clipped_infinite = tf.math.is_inf(norms) & (norms > limit)
    rescale = clipped_infinite & finite
    peaks = tf.where(rescale, _peaks(rows, finite), tf.ones_like(norms))
    base = tf.where(clipped_infinite[:, None], tf.zeros_like(rows), rows)
    base = tf.where(rescale[:, None], rows / peaks[:, None], base)
    unit_norms = tf.sqrt(tf.reduce_sum(tf.square(base), axis=1))
    scale = tf.where(clipped_infinite, tf.zeros_like(scale), scale)
    scale = tf.where(rescale, limit / unit_norms, scale)
    return base * scale[:, None]


def pre_aggregate(gradients, f, c=DEFAULT_C):
    """The n clipped rows [n, d]."""
    limit = tf.constant(c, gradients.dtype)
    return clip_rows(gradients, row_norms(gradients), limit)


STEP = registry.register_step(Step(
    name="clip",
    source="Static clipping, as in ByzFL (Allouah et al. The Vital Role of Gradient Clipping in "
           "Byzantine-Resilient Distributed Learning. arXiv:2405.14432, 2024)",
    workers=(0, 1),
    step_fn=pre_aggregate,
    options={"c": validation.positive_float},
))
