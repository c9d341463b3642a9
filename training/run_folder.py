"""One run's folder, `<results_dir>/<run_name>/`, and what is read from it (plain Python and NumPy).

    config.json   the settings (`training.RunConfig`), d, the gradient method, "metrics_from" (the step
                  of metrics.csv's first row: 0, or in a folder seeded with another run's checkpoints
                  the step after theirs), and once the run ends "finished": true, "nonfinite_steps" and
                  "diverged_at": t, the first step whose training loss, aggregated gradient or parameters
                  were not finite (null: none). A run diverged without keep_diverged stopped at that step
                  and is finished whatever steps are asked.
    metrics.csv   one row per step (`training.metrics`)
    checkpoints/  the flat parameters x and the step (`training.checkpoints`)
    tensorboard/  the same scalars for TensorBoard
    lock          while a process trains the run, its PID (`training.run_lock`: one writer per folder);
                  one left by a killed process does not block

A damaged config.json or metrics.csv raises `RunError` naming the file and saying to delete the run folder
(neither can be rebuilt from the checkpoints), when a run resumes and when its metrics are read for plots.

Every reader of a run folder goes through this module: the training loop, the figures, reproduce, the
studies and the plots' callers.
"""

import dataclasses
import json
import os

import numpy as np

from training import atomic_file
from training.errors import RunError
from training.metrics import read_metrics

__all__ = ["RunState", "diverged_at", "finished", "path", "read_config", "read_metrics", "read_params",
           "state", "stopped_diverged", "time_trained", "write_config"]

FINISHED, UNFINISHED, MISSING = "finished", "unfinished", "missing"


def path(config):
    """The folder of the run of `config`: `<results_dir>/<run_name or the derived name>`."""
    return os.path.join(config.results_dir, config.resolved_run_name())


def read_config(run_dir):
    """`<run_dir>/config.json` as a dict, or None when there is none. RunError naming the file when it is
    damaged (not UTF-8, not JSON, not an object): the run folder is to be deleted, since config.json also
    records what the checkpoints do not ("finished", "diverged_at")."""
    file_path = os.path.join(run_dir, "config.json")
    if not os.path.exists(file_path):
        return None
    with open(file_path, "rb") as file:
        data = file.read()
    try:
        saved = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        problem = f"is not valid JSON ({error})"
    else:
        if isinstance(saved, dict):
            return saved
        problem = f"holds a JSON {type(saved).__name__}, not an object"
    raise RunError(f"{file_path} {problem}; delete the run folder {run_dir} to train the run again")


def write_config(run_dir, data):
    """Writes `<run_dir>/config.json` atomically (a temporary file renamed into place)."""
    text = json.dumps(data, indent=2, sort_keys=True, default=str)
    atomic_file.replace_text(os.path.join(run_dir, "config.json"), text)


def diverged_at(metrics):
    """The first step whose training loss, or test loss where evaluated, is not finite; or None. Row t's
    test loss is that of the parameters after t steps, its training loss that of the parameters before
    step t (NaN, or so large that the loss overflows). Such a run is marked "diverged at step t" in plots
    and claims. A run stopped diverged ends with an evaluated row, so this is its config.json
    "diverged_at"; for a run trained on (keep_diverged) it may be a step later, when no evaluation fell on
    that step."""
    steps = np.asarray(metrics["step"])
    train_loss = np.asarray(metrics.get("train_loss", np.zeros(steps.shape)), dtype=float)
    evaluated = ~np.isnan(np.asarray(metrics.get("accuracy", np.full(steps.shape, np.nan)), dtype=float))
    test_loss = np.asarray(metrics.get("test_loss", np.zeros(steps.shape)), dtype=float)
    bad = (steps > 0) & (~np.isfinite(train_loss) | (evaluated & ~np.isfinite(test_loss)))
    flagged = np.flatnonzero(bad)
    return int(steps[flagged[0]]) if flagged.size else None


def stopped_diverged(saved):
    """Whether the config.json dict `saved` is that of a run stopped at its diverged_at step (a finished
    run that diverged without keep_diverged)."""
    return (bool(saved.get("finished")) and saved.get("diverged_at") is not None
            and not saved.get("keep_diverged"))


def finished(saved, steps=None):
    """Whether the config.json dict `saved` is that of a finished run for `steps` (None: those it asked
    for): all of them done, or stopped diverged at a step <= `steps`."""
    if not saved.get("finished"):
        return False
    if steps is None or saved.get("steps") == steps:
        return True
    return stopped_diverged(saved) and saved["diverged_at"] <= steps


@dataclasses.dataclass(frozen=True)
class RunState:
    """Where a run stands: `status` is "finished" (all `steps` done, or stopped once diverged),
    "unfinished" (a metrics file, not all steps) or "missing"; `diverged_at`: the first non-finite step
    of a finished run that diverged (stopped there, or trained on with keep_diverged), else None."""

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
    if saved and finished(saved, steps):
        return RunState(FINISHED, saved.get("diverged_at"))
    return RunState(UNFINISHED if os.path.exists(os.path.join(run_dir, "metrics.csv")) else MISSING)


def time_trained(run_dir):
    """(the last step in `<run_dir>/metrics.csv`, its wall time: the run's training seconds summed over its
    sessions); (0, 0.0) when the file has no row yet."""
    metrics = read_metrics(run_dir)
    if not len(metrics["step"]):
        return 0, 0.0
    return int(metrics["step"][-1]), float(metrics["wall_time"][-1])


def read_params(run_dir, step=None):
    """(x as a float32 NumPy [d], its step) from `run_dir`/checkpoints: the checkpoint of `step`, or the
    latest one (None), read without writing anything (`training.checkpoints.read`, which loads
    TensorFlow). ValueError when there is no such checkpoint."""
    from training import checkpoints

    values, _ = checkpoints.read(os.path.join(run_dir, "checkpoints"), ("params", "step"), step)
    return np.asarray(values["params"], dtype=np.float32), int(values["step"])
