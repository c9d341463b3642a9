"""Each worker's mini-batch: i.i.d. uniform draws, with replacement, from the whole training set.

This is the model of the paper's section 2.1: at step t each honest worker i draws its samples xi_i^t
i.i.d. from the data set. The draws are a pure function of (seed, step, worker) through
`tf.random.stateless_uniform`, so a run repeats exactly, a worker's batch does not depend on how many
workers there are, and resuming from a checkpoint needs no data or RNG state beyond the step number.

With heterogeneous data (`training.heterogeneity`) worker i draws, with the same key, uniformly with
replacement from its own share instead (`sample_share_indices`); the workers past the shares (the
Byzantine ones) still draw from the whole set.

Three streams of keys per (seed, step): the data, the attack (`attack_seed`) and the server's rule
(`rule_seed`: the bucketing permutation of a chain with a `bucketing` step).
"""

import tensorflow as tf

DATA_STREAM = 0
ATTACK_STREAM = 1
RULE_STREAM = 2


def step_key(seed, step, stream):
    """The [2] int64 stateless key of (`seed`, `step`, `stream`); `step` may be a tensor."""
    base = tf.stack([tf.cast(seed, tf.int64), tf.constant(stream, tf.int64)])
    return tf.random.experimental.stateless_fold_in(base, tf.cast(step, tf.int64))


def sample_indices(seed, step, workers, batch_size, population, first=0):
    """Indices [workers, batch_size] into a training set of `population` examples: row i is the batch of
    worker first + i, uniform with replacement, keyed by (seed, step, first + i). `first` may be a tensor
    (a replica's first worker, `training.distributed`)."""
    key = step_key(seed, step, DATA_STREAM)
    rows = [tf.random.stateless_uniform([batch_size],
                                        tf.random.experimental.stateless_fold_in(key, first + worker),
                                        minval=0, maxval=population, dtype=tf.int32)
            for worker in range(workers)]
    return tf.stack(rows)


def sample_share_indices(seed, step, workers, batch_size, population, shares, first=0):
    """Indices [workers, batch_size] as `sample_indices`, keyed the same, but worker w = first + i below
    `shares.workers` draws uniformly with replacement from its own share (`training.heterogeneity.Shares`):
    the u-th example of its share, u uniform in [0, length of its share). The other workers (w >=
    shares.workers: the Byzantine ones) draw from the whole training set of `population` examples.
    `first` may be a tensor (a replica's first worker, `training.distributed`)."""
    key = step_key(seed, step, DATA_STREAM)
    table = tf.constant(shares.indices, tf.int32)
    offsets = tf.constant(shares.offsets, tf.int64)
    lengths = tf.constant(shares.lengths, tf.int32)
    last_entry = int(shares.indices.shape[0]) - 1
    rows = []
    for worker in range(workers):
        index = tf.cast(first + worker, tf.int32)
        owned = index < shares.workers
        row = tf.minimum(index, shares.workers - 1)
        limit = tf.where(owned, tf.gather(lengths, row), tf.constant(population, tf.int32))
        worker_key = tf.random.experimental.stateless_fold_in(key, first + worker)
        draws = tf.random.stateless_uniform([batch_size], worker_key, minval=0, maxval=limit, dtype=tf.int32)
        entries = tf.minimum(tf.gather(offsets, row) + tf.cast(draws, tf.int64), last_entry)
        rows.append(tf.where(owned, tf.gather(table, entries), draws))
    return tf.stack(rows)


def attack_seed(seed, step):
    """The attack's fresh int32 [2] seed of this step (`AttackContext.seed`)."""
    return tf.cast(step_key(seed, step, ATTACK_STREAM) % (2 ** 31 - 1), tf.int32)


def rule_seed(seed, step):
    """The server's fresh int32 [2] seed of this step (a chain's `bucketing.seed`), distinct from the
    attack's and the data's."""
    return tf.cast(step_key(seed, step, RULE_STREAM) % (2 ** 31 - 1), tf.int32)
