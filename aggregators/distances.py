"""Pairwise l_p distances between submissions (paper sections 2.3 and 3: l_1, l_2, l_inf).

Conventions every distance-based rule relies on:
  - distances, not squared (Krum squares them itself);
  - +Inf for any pair involving a row with a non-finite coordinate (NaN, +Inf, -Inf), its
    diagonal entry included: such a submission is infinitely far from every other one;
  - +Inf where a finite computation overflows (never NaN);
  - 0 on the diagonal for finite rows; the matrix is exactly symmetric.
"""

import math

import tensorflow as tf

from aggregators import validation


def pairwise_distances(gradients, norm=2):
    """[n, n] matrix of ||V_i - V_j||_p for the rows of `gradients` [n, d].

    norm: 2 (default), 1, or "inf" / math.inf. For norm 2 the Gram matrix G = X X^T gives
    ||V_i - V_j||^2 = G_ii + G_jj - 2 G_ij (O(n^2 d) in one matmul); for norms 1 and inf each
    row is compared with the rows after it (never an [n, n, d] tensor), compiled with XLA so that
    each pair's difference, absolute value and reduction are one pass over memory.

    Precision of the Gram route: a squared distance carries an absolute rounding error of about
    eps * (||V_i||^2 + ||V_j||^2), so its relative error grows as rows get close compared with
    their norms. Measured at n = 39, d = 1,756,426, float32, rows = c * g + noise: relative error
    of the distances 2e-6 for c = 1 (||g|| = the spread), 1.5e-4 for c = 10. Identical rows
    usually come out exactly 0, but may be about sqrt(eps) * ||V_i|| apart (1e-8 * ||V_i|| in
    float64); compare with a tolerance scaled to the rows' norms.
    """
    gradients = validation.as_gradients(gradients, "pairwise_distances")
    norm = validation.norm(norm, "norm", "pairwise_distances")
    if norm == 2:
        return _l2_distances(gradients)
    return _l1_distances(gradients) if norm == 1 else _linf_distances(gradients)


def distances_for(gradients, norm, distances, rule):
    """The option `distances` checked against `gradients`, or the distances computed."""
    if distances is None:
        return pairwise_distances(gradients, norm)
    return validation.as_distances(distances, gradients.shape[0], rule, gradients.dtype)


def _l2_distances(x):
    gram_dtype = tf.float64 if _gram_needs_float64(x.dtype) else x.dtype
    xg = tf.cast(x, gram_dtype)
    gram = tf.matmul(xg, xg, transpose_b=True)
    norms = tf.linalg.diag_part(gram)
    squared = norms[:, None] + norms[None, :] - 2 * gram
    # inf - inf (overflow of two huge rows) gives NaN: an overflow counts as +Inf.
    squared = tf.where(tf.math.is_nan(squared), tf.constant(math.inf, gram_dtype),
                       tf.maximum(squared, 0))
    squared = _mirror_upper(squared)
    distances = tf.cast(tf.sqrt(squared), x.dtype)
    # A row with a non-finite coordinate has a non-finite squared norm; the converse is an
    # overflow of a finite row, told apart only when some squared norm is not finite.
    finite = tf.cond(tf.reduce_all(tf.math.is_finite(norms)),
                     lambda: tf.ones(x.shape[:1], tf.bool),
                     lambda: finite_rows(x))
    return _mask_non_finite(distances, finite)


def rowwise_distances(x, reduce):
    """[n, n] reduce(|V_i - V_j|) over the coordinates, for reduce = tf.reduce_sum (l1) or
    tf.reduce_max (l_inf). Plain TensorFlow: each pair makes a [rows, d] temporary; the rules go
    through its XLA-compiled versions below (benchmarks/bench_aggregators.py times both)."""
    n = x.shape[0]
    rows = []
    for i in range(n):
        after = reduce(tf.abs(x[i + 1:] - x[i]), axis=1) if i + 1 < n else tf.zeros([0], x.dtype)
        rows.append(tf.concat([tf.zeros([i + 1], x.dtype), after], axis=0))
    upper = tf.stack(rows)
    return _mask_non_finite(upper + tf.transpose(upper), finite_rows(x))


@tf.function(jit_compile=True)
def _l1_distances(x):
    return rowwise_distances(x, tf.reduce_sum)


@tf.function(jit_compile=True)
def _linf_distances(x):
    return rowwise_distances(x, tf.reduce_max)


def finite_rows(x):
    """[n] bool: whether each row has only finite coordinates."""
    return tf.reduce_all(tf.math.is_finite(x), axis=1)


def _mirror_upper(matrix):
    """The upper triangle mirrored below the diagonal: exactly symmetric."""
    n = matrix.shape[0]
    upper = tf.range(n)[:, None] <= tf.range(n)[None, :]
    return tf.where(upper, matrix, tf.transpose(matrix))


def _mask_non_finite(distances, finite):
    n = distances.shape[0]
    both_finite = finite[:, None] & finite[None, :]
    distances = tf.where(both_finite, distances, tf.constant(math.inf, distances.dtype))
    diagonal = tf.eye(n, dtype=tf.bool) & both_finite
    return tf.where(diagonal, tf.zeros_like(distances), distances)


def _gram_needs_float64(dtype):
    """float32 Gram matrices go through float64 where TensorFloat-32 matmuls are on (the default
    on Ampere and later GPUs): TF32 keeps 10 mantissa bits, too few for G_ii + G_jj - 2 G_ij."""
    return (dtype == tf.float32 and bool(tf.config.list_physical_devices("GPU"))
            and tf.config.experimental.tensor_float_32_execution_enabled())
