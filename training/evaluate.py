"""Test-set evaluation ("the accuracy is always measured on the testing set", section 5.1)."""

import tensorflow as tf

from models.loss import softmax_cross_entropy
from training import flat

EVAL_BATCH = 1000


def make_evaluate(model, dataset, params, examples=None):
    """`() -> (accuracy, test_loss)` on the first `examples` test images (None: all), in batches of
    EVAL_BATCH inside one `tf.function`. test_loss is the mean cross-entropy (no L2 term)."""
    count = len(dataset.test_labels) if examples is None else min(examples, len(dataset.test_labels))
    images = tf.convert_to_tensor(dataset.test_images[:count])
    labels = tf.convert_to_tensor(dataset.test_labels[:count])
    shapes = [v.shape for v in model.trainable_variables]

    @tf.function
    def evaluate():
        values = flat.unflatten(params.read_value(), shapes)
        correct, loss_sum = tf.constant(0.0), tf.constant(0.0)
        for start in range(0, count, EVAL_BATCH):
            logits, _ = model.stateless_call(values, [], dataset.normalise(images[start:start + EVAL_BATCH]))
            batch_labels = labels[start:start + EVAL_BATCH]
            predicted = tf.argmax(logits, axis=-1, output_type=batch_labels.dtype)
            correct += tf.reduce_sum(tf.cast(predicted == batch_labels, tf.float32))
            loss_sum += tf.reduce_sum(softmax_cross_entropy(logits, batch_labels))
        return correct / count, loss_sum / count

    return evaluate
