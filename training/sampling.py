"""Each worker's mini-batch: i.i.d. uniform draws, with replacement, from the whole training set.

This is the model of the paper's section 2.1: at step t each honest worker i draws its samples xi_i^t
i.i.d. from the data set. The draws are a pure function of (seed, step, worker) through
`tf.random.stateless_uniform`, so a run repeats exactly, a worker's batch does not depend on how many
workers there are, and resuming from a checkpoint needs no data or RNG state beyond the step number.
"""

import tensorflow as tf

DATA_STREAM = 0
ATTACK_STREAM = 1


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


def attack_seed(seed, step):
    """The attack's fresh int32 [2] seed of this step (`AttackContext.seed`)."""
    return tf.cast(step_key(seed, step, ATTACK_STREAM) % (2 ** 31 - 1), tf.int32)
