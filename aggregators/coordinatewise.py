"""Coordinate-wise statistics: the median and Bulyan's second stage (paper section 4).

Everything here works one coordinate at a time on the values sorted along the rows
(`aggregators.sorting`), NaN ordered as +Inf. A row that is +-Inf (or NaN) at a coordinate sorts
to an extreme there and is trimmed away when at most f rows are bad.
"""

import numbers

import tensorflow as tf

import native
from aggregators import sorting


def closest_to_median_mean(picked, beta):
    """Bulyan's coordinate-wise stage: per coordinate, the mean of the beta values of `picked`
    [theta, d] closest to their median (paper section 4, the definition of G[i]).

    Uses the native op when `native.load()` returns it, else `closest_to_median_mean_tf`; both
    follow the same convention (see that function).
    """
    picked, beta = _check(picked, beta)
    op = native.load()
    if op is not None:
        return op(picked, beta)
    return closest_to_median_mean_tf(picked, beta)


def closest_to_median_mean_tf(picked, beta):
    """Pure-TensorFlow `closest_to_median_mean`.

    Per coordinate: order the theta values ascending, NaN ordered as +Inf; median = the lower
    middle value sorted[(theta - 1) // 2] (the paper's argmin of summed distances among the
    values: with theta odd it is the median, with theta even the lower of the two minimisers);
    take the beta values with the smallest |x - median|, ties broken toward the lower value;
    output their mean, in the dtype of `picked`.

    In sorted order those beta values are a window of consecutive positions containing the
    median, so only the positions [m - beta + 1, m + beta - 1] around m = (theta - 1) // 2 are
    sorted, and the window is chosen by comparisons (`closest_window_mean`).
    """
    picked, beta = _check(picked, beta)
    theta = picked.shape[0]
    middle = (theta - 1) // 2
    first = max(0, middle - beta + 1)  # the lowest window start that still holds the median
    last = min(middle, theta - beta)  # the highest
    block = sorting.sorted_rows(sorting.nan_as_inf(picked), first, last + beta)
    return closest_window_mean(block, block[middle - first], beta)


def closest_window_mean(block, center, size):
    """Per coordinate, the mean of the `size` values of `block` closest to `center`.

    block: [r, d] values sorted along the rows, r >= size; center: [d]. Among the windows of
    `size` consecutive rows, the window starting at row s is preferred to the one starting at
    s + 1 exactly when center - block[s] <= block[s + size] - center (ties toward the lower
    values). That preference flips at most once as s grows, so the chosen start is the number
    of rows s where it does not hold. The comparisons are exact: no sums of distances.
    A value equal to the center counts as at distance 0 (so an infinite median keeps its own
    copies); with a finite center this is plain arithmetic.
    """
    rows = block.shape[0]
    if rows > size:
        lower, upper = block[:rows - size], block[size:]
        zero = tf.zeros_like(lower)
        # A value equal to the center is at distance 0 from it, also when both are infinite.
        lower_gap = tf.where(tf.equal(lower, center), zero, center - lower)
        upper_gap = tf.where(tf.equal(upper, center), zero, upper - center)
        start = tf.reduce_sum(tf.cast(lower_gap > upper_gap, tf.int32), axis=0)
    else:
        start = tf.zeros_like(center, tf.int32)
    position = tf.range(rows)[:, None]
    inside = (position >= start[None, :]) & (position < start[None, :] + size)
    total = tf.reduce_sum(tf.where(inside, block, tf.zeros_like(block)), axis=0)
    # divide_no_nan (size >= 1, so a plain division): Grappler rewrites a division by a constant into a
    # product with its reciprocal, one rounding off the native op's division when size is not a power of 2.
    return tf.math.divide_no_nan(total, tf.cast(size, block.dtype))


def median(values):
    """Coordinate-wise median of `values` [n, d], NaN read as +Inf; for even n the mean of the
    two middle values."""
    n = values.shape[0]
    middle = sorting.sorted_rows(sorting.nan_as_inf(values), (n - 1) // 2, n // 2 + 1)
    return median_of_sorted_middle(middle)


def median_of_sorted_middle(middle):
    """The median from its one (odd n) or two (even n) middle sorted rows; halves are added so
    that two huge finite values cannot overflow."""
    if middle.shape[0] == 1:
        return middle[0]
    return 0.5 * middle[0] + 0.5 * middle[1]


def _check(picked, beta):
    picked = tf.convert_to_tensor(picked)
    if picked.dtype not in (tf.float32, tf.float64):
        raise ValueError(f"closest_to_median_mean needs float32 or float64 values, "
                         f"got {picked.dtype.name}")
    if picked.shape.rank != 2 or picked.shape[0] is None or picked.shape[0] == 0:
        raise ValueError(f"closest_to_median_mean needs picked of shape [theta, d] with a static "
                         f"theta >= 1, got shape {picked.shape}")
    if (isinstance(beta, bool) or not isinstance(beta, numbers.Integral)
            or not 1 <= beta <= picked.shape[0]):
        raise ValueError(f"closest_to_median_mean needs an int beta with 1 <= beta <= theta, "
                         f"got beta={beta!r}, theta={picked.shape[0]}")
    return picked, int(beta)
