"""The model's parameters as one flat vector x in R^d, and back (the paper's x_t)."""

import numpy as np
import tensorflow as tf


def flatten(tensors):
    """A list of tensors -> their concatenation as one flat [d] vector."""
    return tf.concat([tf.reshape(t, [-1]) for t in tensors], axis=0)


def flatten_rows(tensors, rows):
    """A list of [rows, ...] tensors -> [rows, d], each row the flat concatenation of that row's parts."""
    return tf.concat([tf.reshape(t, [rows, -1]) for t in tensors], axis=1)


def unflatten(flat, shapes):
    """A flat [d] vector -> a list of tensors with `shapes` (one split, then reshapes)."""
    sizes = [int(np.prod(shape)) for shape in shapes]
    return [tf.reshape(part, shape) for part, shape in zip(tf.split(flat, sizes), shapes)]
