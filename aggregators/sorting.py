"""Coordinate-wise order statistics of an [n, d] matrix, sorted along the n rows.

TensorFlow sorts only along the last axis, so sorting each column of a row-major [n, d] matrix
costs two transposes and a per-coordinate sort (about 1 s at n = 21, d = 1.76M on 2 cores).
For n <= NETWORK_MAX_ROWS we run a sorting network instead: Batcher's odd-even merge sort on
the n rows as whole [d] vectors, each comparator one tf.minimum and one tf.maximum, pruned to
the comparators that reach the requested sorted positions (4 to 6 times faster here).
Both give exactly the values of numpy.sort(values, axis=0)[start:stop].

NaN has no place in an order: callers first read NaN as +Inf (`nan_as_inf`).
"""

import functools
import math

import tensorflow as tf

NETWORK_MAX_ROWS = 64


def nan_as_inf(values):
    """`values` with NaN replaced by +Inf, so that NaN sorts as the largest value.

    One reduce_sum decides: only when the total is not finite (NaN, Inf or an overflow) is the
    elementwise replacement paid for.
    """
    inf = tf.constant(math.inf, values.dtype)
    return tf.cond(tf.math.is_finite(tf.reduce_sum(values)),
                   lambda: values,
                   lambda: tf.where(tf.math.is_nan(values), inf, values))


def sorted_rows(values, start, stop):
    """numpy.sort(values, axis=0)[start:stop] for `values` [n, d] without NaN (static n)."""
    return tf.stack(sorted_row_list(values, start, stop))


def sorted_row_list(values, start, stop):
    """`sorted_rows` as a list of [d] rows (no stacked copy, e.g. for tf.add_n)."""
    n = values.shape[0]
    if not 0 <= start < stop <= n:
        raise ValueError(f"sorted_rows needs 0 <= start < stop <= n, got start={start}, "
                         f"stop={stop}, n={n}")
    if n > NETWORK_MAX_ROWS:
        return tf.unstack(tf.sort(values, axis=0)[start:stop], num=stop - start)
    rows = tf.unstack(values, num=n)
    for low, high, keep_min, keep_max in _pruned_network(n, start, stop):
        smaller = tf.minimum(rows[low], rows[high]) if keep_min else None
        larger = tf.maximum(rows[low], rows[high]) if keep_max else None
        rows[low], rows[high] = smaller, larger
    return rows[start:stop]


@functools.lru_cache(maxsize=None)
def _pruned_network(n, start, stop):
    """Comparators (low, high, keep_min, keep_max) that reach the sorted positions [start, stop)."""
    live = set(range(start, stop))
    kept = []
    for low, high in reversed(_batcher_network(n)):
        keep_min, keep_max = low in live, high in live
        if keep_min or keep_max:
            kept.append((low, high, keep_min, keep_max))
            live |= {low, high}
    return tuple(reversed(kept))


@functools.lru_cache(maxsize=None)
def _batcher_network(n):
    """Batcher's odd-even merge sort for n wires: pad to a power of two with +Inf wires and
    drop the comparators that touch them (a comparator with an +Inf wire is a no-op)."""
    size = 1
    while size < n:
        size *= 2
    comparators = []
    block = 1
    while block < size:
        step = block
        while step >= 1:
            for first in range(step % block, size - step, 2 * step):
                for i in range(min(step, size - first - step)):
                    low, high = first + i, first + i + step
                    if low // (2 * block) == high // (2 * block):
                        comparators.append((low, high))
            step //= 2
        block *= 2
    return tuple((low, high) for low, high in comparators if high < n)
