"""Dry runs: a function traced into a graph, as the training step's `tf.function` traces it, but never run.

`training.validate` checks a run's rule and attack options this way before any data is loaded (a bad
option raises while tracing). The trace is a `tf.function` graph, not a TF1 `tf.Graph()`: there tensors
compare elementwise (`w != 0`) and the rules' and attacks' code behaves as in the training step (in a
TF1 graph, `!=` between a tensor and a number is Python's identity test). Autograph is off, so that an
error raised while tracing reaches the caller as it was raised (one line). `active()` tells the code being
traced that it runs in a dry run.
"""

import tensorflow as tf

_DEPTH = [0]


def trace(fn):
    """Traces `fn()` into a scratch `tf.function` graph without running it; returns nothing."""
    _DEPTH[0] += 1
    try:
        tf.function(fn, autograph=False).get_concrete_function()
    finally:
        _DEPTH[0] -= 1


def active():
    """Whether a dry run (`trace`) is tracing right now."""
    return _DEPTH[0] > 0
