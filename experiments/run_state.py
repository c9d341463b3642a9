"""Reading a finished or partial run's folder without writing to it (`training.loop`'s layout):
config.json's "finished" flag and the flat parameters x of a checkpoint."""

import json
import os


def is_finished(run_dir):
    """Whether `run_dir`/config.json exists and says "finished": true."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.isfile(path):
        return False
    with open(path) as file:
        return bool(json.load(file).get("finished"))


def read_params(run_dir, step=None):
    """(x as a float32 NumPy [d], its step) from `run_dir`/checkpoints: the checkpoint of `step`, or the
    latest one (None), read without writing anything (`training.checkpoints.read`). ValueError when there
    is no such checkpoint."""
    import numpy as np

    from training import checkpoints

    values, _ = checkpoints.read(os.path.join(run_dir, "checkpoints"), ("params", "step"), step)
    return np.asarray(values["params"], dtype=np.float32), int(values["step"])
