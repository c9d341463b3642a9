"""Every worker's gradient at once, in one graph: [w, d] for w mini-batches.

Methods (same result, speed differs; `benchmarks/bench_training.py` compares them):
- "batched": broadcast the parameters to [w, ...], run the model per worker with `tf.vectorized_map`
  over (parameters, batch) through Keras' `stateless_call`, then ONE tape gradient of the sum of the
  per-worker losses w.r.t. the broadcast copies: copy i only reaches worker i's loss, so its gradient is
  worker i's gradient. Dense layers become batched matrix products of the same cost as one union batch.
- "vmap_tape": `tf.vectorized_map` of a per-worker tape (the parameters shared).
- "loop": a Python loop of w tapes in the graph (the reference the tests compare against).
"""

import tensorflow as tf

from models.loss import loss_fn
from training.flat import flatten, flatten_rows

METHODS = ("batched", "vmap_tape", "loop")


def per_worker_gradients(model, values, images, labels, l2, method="batched"):
    """Gradients of each worker's loss (mean cross-entropy on its batch + l2 * |x|^2).

    Args:
      model: a Keras model without non-trainable variables, called through `stateless_call`.
      values: the model's trainable values (list of tensors, in `model.trainable_variables` order).
      images: [w, b, ...] float inputs, worker i's batch in row i. labels: [w, b] int.
    Returns:
      (gradients [w, d], losses [w]).
    """
    if method not in METHODS:
        raise ValueError(f"per-worker gradient method must be one of {', '.join(METHODS)}, got {method!r}")
    workers = images.shape[0]

    def worker_loss(worker_values, x, y):
        logits, _ = model.stateless_call(worker_values, [], x)
        return loss_fn(logits, y, worker_values, l2)

    if method == "batched":
        stacked = [tf.broadcast_to(v, [workers] + v.shape.as_list()) for v in values]
        with tf.GradientTape() as tape:
            tape.watch(stacked)
            losses = tf.vectorized_map(lambda args: worker_loss(*args), (stacked, images, labels))
            total = tf.reduce_sum(losses)
        return flatten_rows(tape.gradient(total, stacked), workers), losses

    def one_worker(x, y):
        with tf.GradientTape() as tape:
            tape.watch(values)
            loss = worker_loss(values, x, y)
        return flatten(tape.gradient(loss, values)), loss

    if method == "vmap_tape":
        return tf.vectorized_map(lambda args: one_worker(*args), (images, labels))
    results = [one_worker(images[i], labels[i]) for i in range(workers)]
    return tf.stack([g for g, _ in results]), tf.stack([loss for _, loss in results])


def union_gradient(model, values, images, labels, l2):
    """Plain backprop of one loss on the union of all workers' batches -> ([d], loss): the speed floor."""
    union_x = tf.reshape(images, [-1] + images.shape.as_list()[2:])
    union_y = tf.reshape(labels, [-1])
    with tf.GradientTape() as tape:
        tape.watch(values)
        logits, _ = model.stateless_call(values, [], union_x)
        loss = loss_fn(logits, union_y, values, l2)
    return flatten(tape.gradient(loss, values)), loss


# The faster method per model on CPU (benchmarks/bench_training.py).
DEFAULT_METHOD = {"mnist_mlp": "vmap_tape", "cifar10_cnn": "vmap_tape"}
