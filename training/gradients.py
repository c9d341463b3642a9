"""Every worker's gradient at once, in one graph: [w, d] for w mini-batches.

Methods (same result, speed differs; `benchmarks/bench_training.py` compares them):
- "batched": broadcast the parameters to [w, ...], run the model per worker with `tf.vectorized_map`
  over (parameters, batch) through Keras' `stateless_call`, then ONE tape gradient of the sum of the
  per-worker losses w.r.t. the broadcast copies: copy i only reaches worker i's loss, so its gradient is
  worker i's gradient. Dense layers become batched matrix products of the same cost as one union batch.
- "vmap_tape": `tf.vectorized_map` of a per-worker tape (the parameters shared).
- "loop": a Python loop of w tapes in one graph, the w gradients written into [w, d] by one concat.
  Fastest on CPU (DEFAULT_METHOD): w independent small backprops parallelise well, and pfor's
  batched matrix products and its while-loop fallback for convolution filters cost more.
The tests check every method against eager per-worker Keras tapes and a NumPy backprop.

Precision (`RunConfig.precision`): `model` may be a Keras mixed precision copy (`models.with_precision`,
"mixed_bfloat16": each layer computes in bfloat16 on the float32 parameter values it is given, cast on the
way in, so the backward pass runs in bfloat16 and the gradients w.r.t. those values come out float32).
Its bfloat16 logits are cast to float32 before the softmax cross-entropy: the softmax's exp and log-sum
and the batch mean would lose precision in bfloat16's 8-bit mantissa (Keras's mixed precision guide keeps
the softmax and the loss in float32 for numeric stability); bfloat16 has float32's exponent range, so
there is no loss scaling. The L2 term, the [w, d] result and the losses stay float32. With a float32
model the casts are no-ops: the graph is the float32 one.
"""

import tensorflow as tf

from models.loss import loss_fn
from training.flat import flatten, flatten_rows

METHODS = ("batched", "vmap_tape", "loop")


def per_worker_gradients(model, values, images, labels, l2, method="batched"):
    """Gradients of each worker's loss (mean cross-entropy on its batch + l2 * |x|^2).

    The regulariser's gradient 2 * l2 * x is the same for every worker: it is added once to the [w, d]
    data gradients rather than differentiated w times.

    Args:
      model: a Keras model without non-trainable variables, called through `stateless_call`; a mixed
        precision copy (`models.with_precision`) computes in bfloat16, the results staying float32.
      values: the model's trainable values (list of tensors, in `model.trainable_variables` order).
      images: [w, b, ...] float inputs, worker i's batch in row i. labels: [w, b] int.
    Returns:
      (gradients [w, d], losses [w]).
    """
    if method not in METHODS:
        raise ValueError(f"per-worker gradient method must be one of {', '.join(METHODS)}, got {method!r}")
    workers = images.shape[0]

    def data_loss(worker_values, x, y):
        logits, _ = model.stateless_call(worker_values, [], x)
        return loss_fn(tf.cast(logits, tf.float32), y, worker_values, 0.0)  # float32 loss (module docstring)

    if method == "batched":
        stacked = [tf.broadcast_to(v, [workers] + v.shape.as_list()) for v in values]
        with tf.GradientTape() as tape:
            tape.watch(stacked)
            losses = tf.vectorized_map(lambda args: data_loss(*args), (stacked, images, labels))
            total = tf.reduce_sum(losses)
        gradients = flatten_rows(tape.gradient(total, stacked), workers)
    else:
        def one_worker(x, y):
            with tf.GradientTape() as tape:
                tape.watch(values)
                loss = data_loss(values, x, y)
            return tape.gradient(loss, values), loss

        if method == "vmap_tape":
            parts, losses = tf.vectorized_map(lambda args: one_worker(*args), (images, labels))
            gradients = flatten_rows(parts, workers)
        else:  # one concat of every worker's pieces, in row-major [w, d] order
            results = [one_worker(images[i], labels[i]) for i in range(workers)]
            pieces = [tf.reshape(g, [-1]) for parts, _ in results for g in parts]
            gradients = tf.reshape(tf.concat(pieces, axis=0), [workers, -1])
            losses = tf.stack([loss for _, loss in results])
    if l2:
        x = flatten(values)
        gradients += (2.0 * l2) * x
        losses += l2 * tf.reduce_sum(tf.square(x))
    return gradients, losses


def union_gradient(model, values, images, labels, l2):
    """Plain backprop of one loss on the union of all workers' batches -> ([d], loss): the speed floor."""
    union_x = tf.reshape(images, [-1] + images.shape.as_list()[2:])
    union_y = tf.reshape(labels, [-1])
    with tf.GradientTape() as tape:
        tape.watch(values)
        logits, _ = model.stateless_call(values, [], union_x)
        loss = loss_fn(tf.cast(logits, tf.float32), union_y, values, l2)
    return flatten(tape.gradient(loss, values)), loss


# The fastest method per model on CPU (benchmarks/bench_training.py: for the MLP at 30 workers, loop
# ~1.03x the union-batch floor, vmap_tape ~1.4x, batched ~2x; for the CNN loop ~0.7x, vmap_tape ~1.3x;
# its other reading, cifar10_cnn_pool_stride, takes the CNN's method, unmeasured).
DEFAULT_METHOD = {"mnist_mlp": "loop", "cifar10_cnn": "loop", "cifar10_cnn_pool_stride": "loop"}
