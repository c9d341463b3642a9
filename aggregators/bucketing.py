"""Bucketing (Karimireddy, He, Jaggi, "Byzantine-Robust Learning on Heterogeneous Datasets via
Bucketing", ICLR 2022): a random permutation pi of the n submissions, then the means of
consecutive groups of s,

    y_b = 1/|B_b| * sum_{i in B_b} x_pi(i),   B_b = {(b-1)s + 1, ..., min(bs, n)},

b = 1, ..., ceil(n/s) (the last bucket may be smaller). As ByzFL's `Bucketing`
(byzfl/aggregators/preaggregators.py); the rule after it keeps f, as there: with at most f bad
submissions at most f buckets hold one.

Options: the bucket size `s` (default 2; ByzFL's class defaults to 1, which only shuffles) and
`seed`, the key of the permutation: an int, or an int32/int64 tensor of shape [2] (a training
loop passes its step's key); None (the default) stands for 0, so that calls repeat. An int k is
the key [0, k]. The permutation is the stable
argsort of n full-range random int64 drawn by `tf.random.stateless_uniform` with Philox named
(not left to the device's choice): a pure function of (n, seed).

Non-finite input: a bucket holding a row with a non-finite coordinate is non-finite; the other
buckets are exact means of finite rows (`aggregators.mixing.mix`).
"""

import tensorflow as tf

from aggregators import mixing, registry, validation
from aggregators.pre_aggregation import Step

DEFAULT_SEED = 0


def permutation(n, seed=None):
    """int32 [n]: the permutation pi, pi[position] = submission index."""
    if seed is None:
        seed = DEFAULT_SEED
    key = tf.constant([0, seed], tf.int64) if isinstance(seed, int) else tf.cast(seed, tf.int64)
    draws = tf.random.stateless_uniform([n], key, minval=None, maxval=None, dtype=tf.int64,
                                        alg="philox")
    return tf.argsort(draws, stable=True)


def bucket_count(n, s):
    """ceil(n / s)."""
    return -(-n // s)


def weights(n, s=2, seed=None, dtype=tf.float32):
    """[ceil(n/s), n] mixing weights for the permutation keyed by `seed`."""
    return weights_for_order(permutation(n, seed), s, dtype)


def weights_for_order(order, s, dtype=tf.float32):
    """[ceil(n/s), n] mixing weights: W_bj = 1/|B_b| when submission j is at one of the
    positions (b-1)s+1, ..., min(bs, n) of `order` (int [n], a permutation of 0..n-1)."""
    n = order.shape[0]
    count = bucket_count(n, s)
    sizes = [s] * (count - 1) + [n - s * (count - 1)]
    bucket_of_row = tf.scatter_nd(tf.cast(order, tf.int32)[:, None], tf.range(n) // s, [n])
    members = tf.transpose(tf.one_hot(bucket_of_row, count, dtype=dtype))
    return members / tf.constant(sizes, dtype)[:, None]


def pre_aggregate(gradients, f, s=2, seed=None):
    """The ceil(n/s) bucket means [ceil(n/s), d]."""
    n = gradients.shape[0]
    return mixing.mix(weights(n, s, seed, gradients.dtype), gradients)


STEP = registry.register_step(Step(
    name="bucketing",
    source="Karimireddy, He, Jaggi. Byzantine-Robust Learning on Heterogeneous Datasets via "
           "Bucketing. ICLR 2022",
    workers=(0, 1),
    step_fn=pre_aggregate,
    options={"s": validation.positive_int, "seed": validation.seed},
    outputs_fn=lambda n, f, s=2, seed=None: bucket_count(n, s),
    outputs_text_fn=lambda of, s=2, seed=None: f"ceil({of}/{s})",
    weights_fn=lambda gradients, f, distances, s=2, seed=None: weights(
        gradients.shape[0], s, seed, gradients.dtype),
))
