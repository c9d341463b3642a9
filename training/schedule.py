"""The fading learning rate of section 5.1: eta(t) = eta0 * r_eta / (t + r_eta)."""

import tensorflow as tf


def learning_rate(lr0, lr_decay, steps_done):
    """eta(t) with t = `steps_done` (0 at the first step); `steps_done` may be a tensor."""
    t = tf.cast(steps_done, tf.float32)
    return tf.constant(lr0, tf.float32) * lr_decay / (t + lr_decay)
