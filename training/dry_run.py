"""Dry runs: a function traced into a graph, as the training step's `tf.function` traces it, but never run.

`training.validate` checks a run's rule and attack options this way before any data is loaded (a bad
option raises while tracing). The trace is a `tf.function` graph, not a TF1 `tf.Graph()`: there tensors
compare elementwise (`w != 0`) and the rules' and attacks' code behaves as in the training step (in a
TF1 graph, `!=` between a tensor and a number is Python's identity test). Autograph is off, so that an
error raised while tracing reaches the caller as it was raised (one line). `active()` tells the code being
traced that it runs in a dry run. `once` keeps a dry run's result per settings: a grid validates hundreds of
runs that differ only in their seed or data split, and their training steps reuse the checks.
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


# (settings) -> (the object checked, the dry run's result), the most recent _KEPT of them.
_RESULTS = {}
_KEPT = 4096


def once(settings, owner, dry_run):
    """`dry_run()`'s result, computed once per `settings` (a hashable key naming everything the dry run
    depends on) while `owner` (the rule or attack it checks) is the same object; a dry run that raises is
    not kept, so bad settings raise every time."""
    kept = _RESULTS.get(settings)
    if kept is not None and kept[0] is owner:
        return kept[1]
    result = dry_run()
    if len(_RESULTS) >= _KEPT:
        del _RESULTS[next(iter(_RESULTS))]
    _RESULTS[settings] = (owner, result)
    return result
