"""Appendix B.1's spread of the honest gradients, delta_bar, measured at one step.

B.1 writes, for i != j: delta_bar = (1 / d) sum_k E|v_k^(i) - v_k^(j)|, the mean absolute gap between
two honest gradients on a coordinate (it then approximates ||V_i - V_j||_p ~ d^(1/p) delta_bar). At a
step, the expectation is the mean over the h (h - 1) / 2 honest pairs i < j. On each coordinate the
sum over pairs of |x_i - x_j| is sum_r (2r - h + 1) x_(r) over the sorted values x_(0) <= ... <= x_(h-1)
(x_(r) is larger than r values and smaller than h - 1 - r), so every pair counts in O(h d log h), with
no [h, h, d] tensor.
"""

import math

import tensorflow as tf


def delta_bar(rows):
    """delta_bar of `rows` [h, d] (the honest gradients, or any shift of them such as mean - V_i, which
    leaves every gap unchanged): mean over pairs i < j and coordinates k of |rows_ik - rows_jk|, a
    scalar in the dtype of `rows`; NaN for h < 2 (no pair)."""
    h, d = rows.shape
    pairs = h * (h - 1) // 2
    if pairs == 0:
        return tf.constant(math.nan, rows.dtype)
    ordered = tf.sort(rows, axis=0)
    weights = tf.range(1 - h, h, 2, dtype=rows.dtype)  # 2r - h + 1 for r = 0, ..., h - 1
    return tf.tensordot(weights, tf.reduce_sum(ordered, axis=1), 1) / (pairs * d)
