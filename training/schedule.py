"""The fading learning rate of section 5.1: eta(t) = eta0 * r_eta / (t + r_eta)."""

import tensorflow as tf


def learning_rate(lr0, lr_decay, steps_done):
    """eta(t) with t = `steps_done` (0 at the first step); each argument a number or a tensor (float32 for
    `lr0` and `lr_decay`), computed in float32."""
    t = tf.cast(steps_done, tf.float32)
    lr_decay = tf.cast(lr_decay, tf.float32)
    return tf.cast(lr0, tf.float32) * lr_decay / (t + lr_decay)
