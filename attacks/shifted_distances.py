"""Distances from B(gamma) = mean + gamma * E to each honest gradient, in closed form (paper, 3.2/3.3).

With c_i = mean(honest) - V_i, the distance ||B(gamma) - V_i||_p = ||c_i + gamma * E||_p. Statistics
of each row c_i are computed once per step (O(h d)); each gamma then costs O(h) (O(h log d) for l1
with E = ones), so the gamma search never touches the d coordinates again:

  E = e_j (one coordinate j), with r_i the norm of c_i without coordinate j:
    l2:   sqrt(r_i^2 + (c_ij + gamma)^2)
    l1:   r_i + |c_ij + gamma|
    linf: max(r_i, |c_ij + gamma|)
  E = (1, ..., 1):
    l2:   sqrt(d (m_i + gamma)^2 + s_i), m_i the mean of c_i's coordinates, s_i = sum_k (c_ik - m_i)^2
    l1:   sum_k |c_ik + gamma| = T_i - 2 P_i(k) + (d - 2k) gamma, with c_i sorted, k = #{c_ik < -gamma},
          P_i(k) the sum of the k smallest coordinates and T_i the sum of all of them
    linf: max(max_k c_ik + gamma, -min_k c_ik - gamma)

Non-finite rows give +Inf, as in `aggregators.pairwise_distances`.
"""

import math
from typing import NamedTuple

import tensorflow as tf


def norm_order(norm):
    """The l_p order of a rule's `norm` option: 1, 2 or math.inf (ValueError otherwise)."""
    if isinstance(norm, str):
        text = norm.strip().lower()
        if text in ("inf", "infinity", "linf"):
            return math.inf
        try:
            norm = float(text)
        except ValueError:
            raise ValueError(f"norm must be 1, 2 or 'inf', got norm={norm!r}") from None
    if norm in (1, 2, math.inf):
        return math.inf if norm == math.inf else int(norm)
    raise ValueError(f"norm must be 1, 2 or 'inf', got norm={norm!r}")


class ShiftStatistics(NamedTuple):
    """Per-row statistics of the centred honest gradients c_i = mean - V_i (see module doc)."""

    norm: float  # 1, 2 or math.inf
    coordinate: int | None  # j for E = e_j, None for E = (1, ..., 1)
    dimension: int
    at_coordinate: tf.Tensor | None  # [h] c_ij
    rest: tf.Tensor | None  # [h] the l_p norm of c_i without coordinate j
    row_mean: tf.Tensor | None  # [h] (E = ones, l2)
    row_spread: tf.Tensor | None  # [h] sum_k (c_ik - m_i)^2 (E = ones, l2)
    sorted_rows: tf.Tensor | None  # [h, d] (E = ones, l1)
    prefix_sums: tf.Tensor | None  # [h, d + 1], a leading 0 (E = ones, l1)
    row_max: tf.Tensor | None  # [h] (E = ones, linf)
    row_min: tf.Tensor | None  # [h] (E = ones, linf)
    finite: tf.Tensor  # [h] bool: row c_i is finite


def shift_statistics(centered, norm, coordinate=None):
    """The statistics of `centered` [h, d] (= mean - V_i) that `shifted_distances` needs.

    `coordinate`: j in [0, d) for E = e_j, or None for E = (1, ..., 1). `norm`: 1, 2 or math.inf.
    """
    centered = tf.convert_to_tensor(centered)
    norm = norm_order(norm)
    d = int(centered.shape[1])
    finite = tf.reduce_all(tf.math.is_finite(centered), axis=1)
    values = dict.fromkeys(ShiftStatistics._fields)
    values.update(norm=norm, coordinate=coordinate, dimension=d, finite=finite)
    if coordinate is not None:
        others = tf.cast(tf.range(d) != coordinate, centered.dtype)
        values["at_coordinate"] = centered[:, coordinate]
        magnitude = tf.abs(centered) * others
        if norm == 2:
            values["rest"] = tf.sqrt(tf.reduce_sum(tf.square(magnitude), axis=1))
        elif norm == 1:
            values["rest"] = tf.reduce_sum(magnitude, axis=1)
        else:
            values["rest"] = tf.reduce_max(magnitude, axis=1)
    elif norm == 2:
        row_mean = tf.reduce_mean(centered, axis=1)
        values["row_mean"] = row_mean
        values["row_spread"] = tf.reduce_sum(tf.square(centered - row_mean[:, None]), axis=1)
    elif norm == 1:
        sorted_rows = tf.sort(centered, axis=1)
        values["sorted_rows"] = sorted_rows
        values["prefix_sums"] = tf.pad(tf.cumsum(sorted_rows, axis=1), [[0, 0], [1, 0]])
    else:
        values["row_max"] = tf.reduce_max(centered, axis=1)
        values["row_min"] = tf.reduce_min(centered, axis=1)
    return ShiftStatistics(**values)


def shifted_distances(stats, gamma):
    """[h] ||c_i + gamma * E||_p for a scalar `gamma` (see the module doc for the formulas)."""
    dtype = _dtype(stats)
    gamma = tf.cast(gamma, dtype) if isinstance(gamma, tf.Tensor) else tf.constant(gamma, dtype)
    if stats.coordinate is not None:
        shifted = tf.abs(stats.at_coordinate + gamma)
        if stats.norm == 2:
            distances = tf.sqrt(tf.square(stats.rest) + tf.square(shifted))
        elif stats.norm == 1:
            distances = stats.rest + shifted
        else:
            distances = tf.maximum(stats.rest, shifted)
    elif stats.norm == 2:
        d = tf.cast(stats.dimension, dtype)
        distances = tf.sqrt(d * tf.square(stats.row_mean + gamma) + stats.row_spread)
    elif stats.norm == 1:
        h = tf.shape(stats.sorted_rows)[0]
        below = tf.searchsorted(stats.sorted_rows, tf.fill([h, 1], -gamma), side="left")[:, 0]
        below_sum = tf.gather(stats.prefix_sums, below, batch_dims=1)
        total = stats.prefix_sums[:, -1]
        d = tf.cast(stats.dimension, dtype)
        distances = total - 2 * below_sum + (d - 2 * tf.cast(below, dtype)) * gamma
        distances = tf.maximum(distances, 0)  # rounding
    else:
        distances = tf.maximum(stats.row_max + gamma, -stats.row_min - gamma)
    infinite = tf.constant(math.inf, dtype)
    usable = tf.logical_and(stats.finite, tf.logical_not(tf.math.is_nan(distances)))
    return tf.where(usable, distances, infinite)


def _dtype(stats):
    for name in ("at_coordinate", "row_mean", "sorted_rows", "row_max"):
        value = getattr(stats, name)
        if value is not None:
            return value.dtype
    raise ValueError("empty ShiftStatistics")
