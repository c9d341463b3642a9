"""Simulated distributed SGD in one TensorFlow graph (paper, section 2.1): data, per-worker gradients,
the training step, evaluation, metrics and checkpoints; `run(RunConfig(...))` trains one run.

The names below are loaded on first use, so that `training.config`, `training.run_folder` and
`training.command_line` (plain Python and NumPy) can be imported without starting TensorFlow.
"""

import importlib

_EXPORTS = {
    "RunConfig": "training.config", "derived_run_name": "training.config", "validate": "training.config",
    "RunError": "training.errors", "run": "training.loop", "read_metrics": "training.metrics",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'training' has no attribute {name!r}")
