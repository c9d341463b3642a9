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
    latest one (None). Restores into fresh variables (`tf.train.Checkpoint(params=..., step=...)`, the
    loop's names): nothing is written. ValueError when there is no such checkpoint."""
    import numpy as np
    import tensorflow as tf

    folder = os.path.join(run_dir, "checkpoints")
    path = tf.train.latest_checkpoint(folder) if step is None else os.path.join(folder, f"ckpt-{step}")
    if path is None or not tf.io.gfile.exists(path + ".index"):
        raise ValueError(f"{folder} holds no checkpoint" + ("" if step is None else f" of step {step}"))
    shape = tf.train.load_checkpoint(path).get_variable_to_shape_map()["params/.ATTRIBUTES/VARIABLE_VALUE"]
    params = tf.Variable(tf.zeros(shape), name="params")
    done = tf.Variable(0, dtype=tf.int64, name="step")
    tf.train.Checkpoint(params=params, step=done).restore(path).assert_consumed()
    return np.asarray(params.numpy()), int(done.numpy())
