"""Label flipping: the Byzantine workers are honest workers with wrong labels.

Each Byzantine worker computes a real gradient on its own mini-batch with every label y replaced by
C - 1 - y (C classes): the data-poisoning baseline of Allen-Zhu, Ebrahimian, Li, Alistarh, ICLR 2021,
"Byzantine-Resilient Non-Convex Stochastic Gradient Descent", and Karimireddy, He, Jaggi, ICML 2021,
"Learning from History for Byzantine Robust Optimization" (their "label flipping" attack), as in ByzFL.

The attack needs "flipped_gradients": the training step (`training.step`) computes, for the f Byzantine
workers n - f, ..., n - 1, their gradients on their own mini-batches (keyed by (seed, step, worker) like
the honest workers', drawn from the whole training set) with `flip_labels`, and the attack submits them.
With worker momentum the Byzantine workers also keep momenta, of their flipped gradients (ByzFL: they
are honest workers with wrong labels), and submit those.
"""

import tensorflow as tf

from attacks import inputs
from attacks.attack import Attack
from attacks.registry import register


def flip_labels(labels, classes):
    """y -> C - 1 - y, for integer labels in [0, C)."""
    return tf.cast(classes - 1, labels.dtype) - labels


def labelflip(honest, context):
    """[f, d]: the Byzantine workers' own submissions on flipped labels (`context.flipped_gradients`)."""
    honest = inputs.honest_matrix("labelflip", honest, context)
    flipped = context.flipped_gradients
    if flipped is None:
        raise ValueError("attack 'labelflip' needs the Byzantine workers' gradients on flipped labels "
                         "(context.flipped_gradients), which only the training step computes")
    flipped = tf.convert_to_tensor(flipped)
    if flipped.shape.rank != 2 or flipped.shape[0] != context.f or flipped.shape[1] != honest.shape[1]:
        raise ValueError(f"attack 'labelflip' needs flipped_gradients of shape [f, d] = "
                         f"[{context.f}, {honest.shape[1]}], got {flipped.shape}")
    return tf.cast(flipped, honest.dtype)


register(Attack(
    "labelflip",
    source='Allen-Zhu, Ebrahimian, Li, Alistarh, ICLR 2021, "Byzantine-Resilient Non-Convex '
           'Stochastic Gradient Descent"; Karimireddy, He, Jaggi, ICML 2021, "Learning from History '
           'for Byzantine Robust Optimization"',
    attack_fn=labelflip,
    needs=("honest", "flipped_gradients"),
    description="label flipping: real gradients of the Byzantine workers' batches with labels "
                "y -> C - 1 - y",
))
