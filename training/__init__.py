"""Simulated distributed SGD in one TensorFlow graph (paper, section 2.1): data, per-worker gradients,
the training step, evaluation, metrics and checkpoints; `run(RunConfig(...))` trains one run."""

from training.config import RunConfig, derived_run_name, validate
from training.errors import RunError
from training.loop import run
from training.metrics import read_metrics

__all__ = ["RunConfig", "RunError", "derived_run_name", "read_metrics", "run", "validate"]
