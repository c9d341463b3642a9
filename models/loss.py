"""The training loss of section 5.1: softmax cross-entropy plus L2 regularisation (1e-4).

The regulariser is `l2 * sum of the squares of all d parameters` (kernels and biases: the flat vector
the paper's d counts).
"""

import tensorflow as tf


def softmax_cross_entropy(logits, labels):
    """Per-example cross-entropy of integer `labels` [b] under softmax(`logits` [b, classes]) -> [b]."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(labels, tf.int32), logits=logits)


def loss_fn(logits, labels, parameters, l2):
    """Mean cross-entropy of the batch + l2 * sum of squared `parameters` (a list of tensors)."""
    data_loss = tf.reduce_mean(softmax_cross_entropy(logits, labels))
    if not l2:
        return data_loss
    return data_loss + l2 * tf.add_n([tf.reduce_sum(tf.square(p)) for p in parameters])
