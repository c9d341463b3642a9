"""A run's checkpoints, `<run folder>/checkpoints/ckpt-<step>.{index,data-*}`: atomic saves and a restore
that falls back past a corrupt latest checkpoint.

The layout is `tf.train.CheckpointManager`'s (its `checkpoint` state file is kept up to date for TensorFlow's
tools), so folders written by either read with either. The state file is not trusted, though: `restore`
lists the folder itself.

- `save` writes the bundle under a temporary prefix, renames its data file(s) into place and the index last,
  then deletes the checkpoints older than the last `keep` (and any of a later step, left unreadable
  before the run resumed from an older one). A checkpoint exists once its index does, so a
  kill at any moment leaves the previous checkpoints as they were: the latest is always complete.
- `restore` tries the checkpoints newest first; one that does not read back whole (random bytes in .data,
  a .data file cut short, to any length down to zero bytes, an empty or cut .index, a missing or mis-shaped
  variable) is skipped with a warning naming its file. The variables are assigned only once every value
  has been read, so a failed try changes nothing. When there are checkpoints and none reads, `RunError`
  names the run folder to delete.
"""

import glob
import os
import re
import shutil

import tensorflow as tf
from absl import logging

from training import atomic_file
from training.errors import RunError

KEEP = 2
_INDEX = re.compile(r"^ckpt-(\d+)\.index$")
_PARTIAL = "partial-"  # prefix of a save in progress; never listed as a checkpoint
# What reading a damaged checkpoint raises: OpError (a bad .index, a checksum mismatch, a missing .data),
# IndexError ("Read less bytes than requested": a .data file cut short), ValueError (a mis-shaped variable).
_UNREADABLE = (tf.errors.OpError, IndexError, ValueError)


def _quiet_sharding_log(record):
    """Drops TensorFlow's INFO record "Sharding callback duration: ..." emitted at every save."""
    return not str(record.msg).startswith("Sharding callback duration")


logging.get_absl_logger().addFilter(_quiet_sharding_log)


def steps(directory):
    """The steps of the checkpoints in `directory` (those with an index file), in increasing order."""
    if not os.path.isdir(directory):
        return []
    found = (_INDEX.match(name) for name in os.listdir(directory))
    return sorted(int(match.group(1)) for match in found if match)


def _prefix(directory, step):
    return os.path.join(directory, f"ckpt-{step}")


def _remove(prefix):
    """Deletes one checkpoint, its index first (so that a half-deleted one is no checkpoint)."""
    for path in [prefix + ".index"] + glob.glob(glob.escape(prefix) + ".data-*"):
        if os.path.exists(path):
            os.remove(path)


def save(directory, step, variables, keep=KEEP):
    """Writes `variables` (name -> `tf.Variable`) as `directory`/ckpt-`step` atomically, records it in the
    state file and keeps only the last `keep` checkpoints. Returns the checkpoint's prefix."""
    os.makedirs(directory, exist_ok=True)
    for stale in glob.glob(os.path.join(glob.escape(directory), _PARTIAL + "*")):  # left by a killed save
        if os.path.isdir(stale):
            shutil.rmtree(stale)
        else:
            os.remove(stale)
    for later in steps(directory):
        if later >= step:  # written before the run resumed from an older checkpoint: unreadable or redone
            _remove(_prefix(directory, later))
    final = _prefix(directory, step)
    temporary = os.path.join(directory, f"{_PARTIAL}ckpt-{step}")
    tf.train.Checkpoint(**variables).write(temporary)
    for path in glob.glob(glob.escape(temporary) + ".data-*"):
        os.replace(path, final + path[len(temporary):])
    os.replace(temporary + ".index", final + ".index")
    kept = steps(directory)
    for old in kept[:-keep]:
        _remove(_prefix(directory, old))
    _write_state(directory, kept[-keep:])
    return final


def _write_state(directory, kept):
    """The `checkpoint` text file that `tf.train.latest_checkpoint` reads, replaced atomically."""
    lines = [f'model_checkpoint_path: "ckpt-{kept[-1]}"'] + [f'all_model_checkpoint_paths: "ckpt-{s}"' for s in kept]
    atomic_file.replace_text(os.path.join(directory, "checkpoint"), "\n".join(lines) + "\n")


def read(directory, names, step=None):
    """({name: NumPy value}, step) of the checkpoint of `step` in `directory` (None: the newest), read
    without creating or writing anything. ValueError naming the folder when there is no such checkpoint."""
    available = steps(directory)
    chosen = (available[-1] if available else None) if step is None else step
    if chosen is None or chosen not in available:
        raise ValueError(f"{directory} holds no checkpoint" + ("" if step is None else f" of step {step}"))
    reader = tf.train.load_checkpoint(_prefix(directory, chosen))
    return {name: reader.get_tensor(f"{name}/.ATTRIBUTES/VARIABLE_VALUE") for name in names}, chosen


def _read(prefix, variables, optional=()):
    """name -> the value of that variable in checkpoint `prefix`, every one read (checksums checked);
    a name in `optional` that the checkpoint lacks (written before it existed) is left out."""
    reader = tf.train.load_checkpoint(prefix)
    values = {}
    for name, variable in variables.items():
        key = f"{name}/.ATTRIBUTES/VARIABLE_VALUE"
        if name in optional and not reader.has_tensor(key):
            continue
        value = reader.get_tensor(key)
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(f"{name} has shape {list(value.shape)}, not {list(variable.shape)}")
        values[name] = value
    return values


def restore(directory, variables, optional=()):
    """Assigns `variables` (name -> `tf.Variable`) from the newest readable checkpoint of `directory`;
    returns its step, or None when there is none (nothing assigned). Warns about each unreadable one,
    naming its file; raises `RunError` when all are unreadable. Variables named in `optional` keep their
    value when a checkpoint lacks them."""
    tried = []
    for step in reversed(steps(directory)):
        prefix = _prefix(directory, step)
        try:
            values = _read(prefix, variables, optional)
        except _UNREADABLE as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            logging.warning("checkpoint %s is unreadable (%s); trying the previous one", prefix, reason[:200])
            tried.append(os.path.basename(prefix))
            continue
        for name, value in values.items():
            variables[name].assign(value)
        if tried:
            logging.warning("resuming from %s, the newest readable checkpoint", prefix)
        return step
    if tried:
        run_dir = os.path.dirname(os.path.abspath(directory))
        raise RunError(f"no readable checkpoint in {directory} ({', '.join(tried)} are corrupt); delete the run "
                       f"folder {run_dir} to train the run from the start")
    return None
