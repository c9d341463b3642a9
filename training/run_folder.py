"""One run's folder, `<results_dir>/<run_name>/`, and what is read from it (plain Python and NumPy).

    config.json   the settings (`training.RunConfig`), d, the gradient method, and once the run ends
                  "finished": true (plus "diverged_at": t when its training loss became non-finite)
    metrics.csv   one row per step (`training.metrics`)
    checkpoints/  the flat parameters x and the step (`training.checkpoints`)
    tensorboard/  the same scalars for TensorBoard

Every reader of a run folder goes through this module: the training loop, the figures, reproduce, the
studies and the plots' callers.
"""

import dataclasses
import json
import os

import numpy as np

from training.errors import RunError
from training.metrics import read_metrics

__all__ = ["RunState", "diverged_at", "path", "read_config", "read_metrics", "read_params", "state",
           "write_config"]

FINISHED, UNFINISHED, MISSING = "finished", "unfinished", "missing"


def path(config):
    """The folder of the run of `config`: `<results_dir>/<run_name or the derived name>`."""
    return os.path.join(config.results_dir, config.resolved_run_name())


def read_config(run_dir):
    """`<run_dir>/config.json` as a dict, or None when there is none; RunError naming the file when it
    is not valid JSON."""
    file_path = os.path.join(run_dir, "config.json")
    if not os.path.exists(file_path):
        return None
    with open(file_path) as file:
        try:
            return json.load(file)
        except json.JSONDecodeError as error:
            raise RunError(f"{file_path} is not valid JSON ({error}); delete its run folder to train the run "
                           "again") from None


def write_config(run_dir, data):
    """Writes `<run_dir>/config.json` atomically (a temporary file renamed into place)."""
    file_path = os.path.join(run_dir, "config.json")
    with open(file_path + ".tmp", "w") as file:
        json.dump(data, file, indent=2, sort_keys=True, default=str)
    os.replace(file_path + ".tmp", file_path)


def diverged_at(metrics):
    """The first step whose training loss is not finite (the parameters became NaN, or so large that the
    loss overflows), or None. Such a run is marked "diverged at step t" in plots and claims."""
    steps = np.asarray(metrics["step"])
    loss = np.asarray(metrics.get("train_loss", np.zeros(steps.shape)), dtype=float)
    bad = np.flatnonzero((steps > 0) & ~np.isfinite(loss))
    return int(steps[bad[0]]) if bad.size else None


@dataclasses.dataclass(frozen=True)
class RunState:
    """Where a run stands: `status` is "finished" (all `steps` done, or stopped once diverged),
    "unfinished" (a metrics file, not all steps) or "missing"; `diverged_at`: the step at which a
    finished run diverged, else None."""

    status: str
    diverged_at: int = None

    @property
    def finished(self):
        return self.status == FINISHED


def state(run_dir, steps=None):
    """The `RunState` of `run_dir`; `steps`: the steps the caller wants (None: whatever the run asked for).
    A config.json that cannot be read counts as no config (the run is then unfinished or missing)."""
    try:
        saved = read_config(run_dir)
    except (OSError, RunError):
        saved = None
    if saved and saved.get("finished") and (steps is None or saved.get("steps") == steps):
        return RunState(FINISHED, saved.get("diverged_at"))
    return RunState(UNFINISHED if os.path.exists(os.path.join(run_dir, "metrics.csv")) else MISSING)


def read_params(run_dir, step=None):
    """(x as a float32 NumPy [d], its step) from `run_dir`/checkpoints: the checkpoint of `step`, or the
    latest one (None), read without writing anything (`training.checkpoints.read`, which loads
    TensorFlow). ValueError when there is no such checkpoint."""
    from training import checkpoints

    values, _ = checkpoints.read(os.path.join(run_dir, "checkpoints"), ("params", "step"), step)
    return np.asarray(values["params"], dtype=np.float32), int(values["step"])
