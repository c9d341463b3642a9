"""`run(config)`: one training run, resumable, into `<results_dir>/<run_name>/`.

The folder (`training.run_folder`) holds config.json (the settings, d, "finished" once done, and with
heterogeneous data each honest worker's class histogram, "class_histograms"), metrics.csv
(`training.metrics`), checkpoints/ (`training.checkpoints`: the flat parameters x and the step, the worker
momenta and the attack's state when there are (`training.step_state`), the last two kept; the data and RNG
need nothing else: they are stateless functions of (seed, step), the data shares of (seed, labels, workers))
and tensorboard/.

A diverged run stops: at the first step whose training loss, aggregated gradient or updated parameters are
not finite, the run writes that step's metrics row (evaluated), a checkpoint, and config.json "finished":
true, "diverged_at": t; it prints one line and returns normally. Such a run is finished for any number of
steps (`run_folder.finished`). With `keep_diverged` it trains on to the last step, applying the
non-finite updates as they are (config.json still records diverged_at).

Calling `run` again with the same settings returns at once when the run is finished; otherwise it resumes
from the latest readable checkpoint, drops the metrics rows past it and goes on, so the metrics equal those of an
uninterrupted run (wall_time aside), whatever sequence of Ctrl-C, SIGTERM or SIGKILL stopped the sessions
before: each metrics row is flushed as it is written and the file is cut back atomically on resume
(`training.metrics`), checkpoints are written atomically and a damaged newest one is skipped
(`training.checkpoints`). A finished run can also be extended by asking for more steps under the same
run_name (it then has an extra evaluation at its old last step). Seeded: Keras' and TF's seeds are set and
op determinism is on, so a CPU run repeats exactly.

One process per run folder: the chief holds its lock (`training.run_lock`) from before it reads the folder
to the end, so a second process on it raises `RunError` naming the folder and the holder's PID (once it
holds the lock, a run re-reads config.json: another process may have finished it meanwhile). A run that
cannot start (its data, its folder in use, its checkpoints, a damaged config.json or metrics.csv, or its
settings against a saved run) raises `RunError` before writing anything; a folder it created is then
removed. A KeyboardInterrupt while it trains (a step, an evaluation, a save) becomes `Interrupted`
("[run] interrupted at step t; rerun the same command to resume", t the last step whose row is written),
the metrics flushed and closed. The progress line's rate counts from the end of the session's first step,
which includes tracing the step function. The traced step and evaluation of the previous run in the
process are reused when the run has the same shapes (`training.step_cache`).
"""

import contextlib
import dataclasses
import json
import os
import time

import keras
import numpy as np
import tensorflow as tf
from absl import logging

import models
from training import (checkpoints, datasets, distributed, flat, gradients, metrics, run_folder, run_lock,
                      step_cache, strategies, tensorboard)
from training.config import NAMED_WHEN_SET, check_model_takes, validate
from training.errors import Interrupted, RunError
from training.evaluate import make_evaluate
from training.step import data_shares, make_train_step

PROGRESS_SECONDS = 5.0


def _check_same_run(saved, config, run_dir):
    """The settings saved in `run_dir` must be those asked for (the step count may grow)."""
    wanted = json.loads(json.dumps(config.trajectory(), default=str))
    for key, value in wanted.items():
        if key != "steps" and saved.get(key) != value:
            raise RunError(f"{run_dir} holds a run with {key}={saved.get(key)!r}, not {value!r}; "
                           "choose another run_name")
    for key, default in NAMED_WHEN_SET.items():  # absent from older runs' config.json: the default
        if key not in wanted and saved.get(key, default) != default:
            raise RunError(f"{run_dir} holds a run with {key}={saved.get(key)!r}, not {default!r}; "
                           "choose another run_name")


def _divergence(out):
    """Why the step whose outputs are `out` diverged, or None when its loss and update are finite."""
    if not np.isfinite(out["train_loss"]):
        return "training loss not finite"
    if not out["finite"]:
        return "aggregated gradient not finite"
    if not out["params_finite"]:
        return "parameters not finite"
    return None


def _saved_config(config, run_dir):
    """The config.json dict of `run_dir` (None: none), checked against `config`."""
    saved = run_folder.read_config(run_dir)
    if saved is not None:
        _check_same_run(saved, config, run_dir)
    return saved


def run(config, progress=True, validated=False):
    """Trains (or resumes, or reuses) the run of `config`; returns the path of its folder.

    First creates the run's tf.distribute strategy (`strategies.create`, once per process: a mirrored
    run's logical CPU devices must be configured before TensorFlow starts, which `validate`'s scratch
    graph does), then validates `config` unless `validated` (the caller has called `validate(config)`,
    after creating the strategy). Raises ValueError (`RunError`) for a run that cannot start, `Interrupted`
    for a KeyboardInterrupt while it trains."""
    strategy = strategies.create(config)
    if not validated:
        validate(config)
    chief = strategies.is_chief(strategy)  # only the chief writes the run's files
    run_dir = run_folder.path(config)
    saved = _saved_config(config, run_dir)
    if saved is not None and run_folder.finished(saved, config.steps):
        return run_dir
    with run_lock.hold(run_dir) if chief else contextlib.nullcontext():
        saved = _saved_config(config, run_dir)  # again: another process may have trained it meanwhile
        if saved is not None and run_folder.finished(saved, config.steps):
            return run_dir
        return _train(config, strategy, chief, progress and chief, run_dir, saved)


def _train(config, strategy, chief, progress, run_dir, saved):
    """The body of `run`, the run folder locked (by the chief): loads, restores, trains; returns run_dir."""
    keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()
    dataset = datasets.load(config.dataset, config.data_dir, config.tfds_dir, config.data_source)
    if config.eval_examples is not None and config.eval_examples > len(dataset.test_labels):
        raise RunError(f"eval_examples={config.eval_examples} is more than the {len(dataset.test_labels):,} "
                       f"test images of {config.dataset}")
    model_name = config.model if config.model is not None else dataset.model  # --model, or the dataset's own
    model = models.get(model_name)()  # first: its initialisation is the seed's
    if config.model is not None:  # a dataset registered without its model: its images are known only now
        check_model_takes(config.model, config.dataset, dataset.train_images.shape[1:], model.input_shape[1:])
    shares = data_shares(config, dataset.train_labels, int(model.output_shape[-1]))  # RunError: an empty share
    method = gradients.DEFAULT_METHOD.get(model_name, "loop")
    # The traced step and evaluation, with the parameters, the step counter and the step's state (worker
    # momenta, the attack's state) at the run's start: the last run's when it has the same shapes.
    engine = step_cache.engine(config, dataset, model, model_name, method, flat.flatten(model.trainable_variables),
                               shares, strategy, build_step=make_train_step, build_evaluate=make_evaluate)
    params, step, state = engine.params, engine.step, engine.state
    d = int(params.shape[0])
    saved_variables = {"params": params, "step": step, **state.variables()}
    checkpoint_dir = os.path.join(run_dir, "checkpoints")
    # Steps with a non-finite update so far: checkpointed, so that a resumed run counts as an uninterrupted
    # one (checkpoints written before the counter existed resume it from 0).
    nonfinite_steps = tf.Variable(0, dtype=tf.int64, trainable=False)
    checkpointed = {**saved_variables, "nonfinite_steps": nonfinite_steps}
    checkpoints.restore(checkpoint_dir, checkpointed, optional=("nonfinite_steps",))
    distributed.sync_from_chief(strategy, list(saved_variables.values()))
    start = int(step.numpy())
    if start > config.steps:
        raise RunError(f"{run_dir} has already done {start} steps, more than steps={config.steps}")

    train_step, names, evaluate = engine.train_step, engine.names, engine.evaluate
    previous = saved.get("diverged_at") if saved else None  # a session that trained on past it
    diverged_at = previous if previous is not None and previous <= start else None
    nonfinite = int(nonfinite_steps.numpy())

    data = {} if shares is None else {"class_histograms": shares.histograms.tolist()}  # per honest worker

    if chief:  # the metrics first: on resume, cut back to the checkpoint before anything else is written
        # The step of the first row: 0, or, in a folder seeded with checkpoints alone (no config.json), the
        # file's own (after the checkpoint's when there is none).
        first_step = saved.get("metrics_from", 0) if saved is not None else None
        log = metrics.MetricsFile(os.path.join(run_dir, "metrics.csv"), list(metrics.BASE_COLUMNS) + names,
                                  keep_until=start if start > 0 else None, first_step=first_step)
    else:
        log = metrics.DiscardedMetrics()

    def write_config(finished):
        run_folder.write_config(run_dir, {**dataclasses.asdict(config), "d": d, "gradient_method": method,
                                          "metrics_from": log.first_step, "finished": finished,
                                          "nonfinite_steps": nonfinite, "diverged_at": diverged_at, **data})

    if chief:
        write_config(False)
        writer = tf.summary.create_file_writer(os.path.join(run_dir, "tensorboard"))
    else:
        writer = tf.summary.create_noop_writer()
    elapsed = float(log.last_row["wall_time"]) if log.last_row else 0.0
    session_start, last_print = time.time(), 0.0
    timed_from = None  # (step, time) at the end of the session's first step: the rate leaves its tracing out
    written = start  # the last step whose row is written
    label = f"[{os.path.basename(run_dir)}]"

    def report(done, accuracy=None):
        nonlocal last_print
        now = time.time()
        if not progress or (now - last_print < PROGRESS_SECONDS and done < config.steps):
            return
        last_print = now
        speed = "  starting" if done < config.steps else ""
        if timed_from is not None and done > timed_from[0]:
            rate = (done - timed_from[0]) / max(now - timed_from[1], 1e-9)
            speed = f"  {rate:.2f} steps/s  ETA {(config.steps - done) / rate:.0f}s"
        shown = f"{accuracy:.2%}" if accuracy is not None else "-"
        print(f"{label} step {done}/{config.steps}  accuracy {shown}{speed}", flush=True)

    if progress and start > 0:
        print(f"{label} resuming from the checkpoint at step {start}", flush=True)
    try:
        with writer.as_default():
            if start == 0:
                accuracy, test_loss = (float(v) for v in evaluate())
                lr0 = float(config.lr0)
                log.write({"step": 0, "wall_time": 0.0, "lr": lr0, "accuracy": accuracy, "test_loss": test_loss})
                tensorboard.scalar("accuracy", accuracy, step=0)
                tensorboard.scalar("test_loss", test_loss, step=0)
                report(0, accuracy)
            for done in range(start + 1, config.steps + 1):
                out = {key: value.numpy() for key, value in train_step().items()}
                if timed_from is None:
                    timed_from = (done, time.time())
                row = {"step": done, "wall_time": elapsed + time.time() - session_start,
                       "lr": out["lr"], "train_loss": out["train_loss"], **{k: out[k] for k in names}}
                reason = _divergence(out)
                stop = reason is not None and not config.keep_diverged
                if not out["finite"] or not out["params_finite"]:
                    nonfinite += 1
                    nonfinite_steps.assign(nonfinite)
                    if config.keep_diverged and (nonfinite == 1 or nonfinite % 100 == 0):
                        logging.warning("step %d: the update is not finite (%d step(s) so far); it is applied as "
                                        "it is (keep_diverged)", done, nonfinite)
                if reason is not None and diverged_at is None:
                    diverged_at = done
                    if chief and not stop:
                        write_config(False)  # a later session resuming past this step keeps it
                accuracy = None
                if done % config.eval_every == 0 or done == config.steps or stop:
                    accuracy, row["test_loss"] = (float(v) for v in evaluate())
                    row["accuracy"] = accuracy
                    tensorboard.scalar("accuracy", accuracy, step=done)
                    tensorboard.scalar("test_loss", row["test_loss"], step=done)
                for key in ["lr", "train_loss"] + names:
                    tensorboard.scalar(key, float(row[key]), step=done)
                log.write(row)
                written = done
                if done % config.checkpoint_every == 0 or done == config.steps or stop:
                    log.sync()  # the rows up to the checkpoint, durable before it is
                    writer.flush()
                    if chief:
                        checkpoints.save(checkpoint_dir, done, checkpointed)
                report(done, accuracy)
                if stop:
                    if chief:
                        print(f"{label} diverged at step {done} ({reason}): stopped; --keep_diverged to train on",
                              flush=True)
                    break
        if chief:
            write_config(True)  # the rows and the last checkpoint are durable already
    except KeyboardInterrupt as interrupt:
        if isinstance(interrupt, Interrupted):
            raise
        raise Interrupted(f"{label} interrupted at step {written}; rerun the same command to resume") from interrupt
    finally:
        log.close()  # each row was flushed as it was written
        writer.close()
    return run_dir
