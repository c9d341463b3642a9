"""Training a queue of runs in one process: all validated first, then trained in order, with one overall
progress line per run (runs done and left, and an ETA by the rate measured in this session).

    [reproduce] 4 of 7 runs done, 3 left, ETA 12m; now: MNIST / Krum, seed 2 (results/paper/mnist-krum-...)
    [grid] 12 of 96 cells done, 84 left, ETA 41m; now: krum / lp / iid / seed 2

Used by `python -m experiments.reproduce` (every run of the paper's figures) and `python -m
experiments.grid` (every cell of the robustness grid). A queued item is anything with a `config`
(`training.RunConfig`) and a `describe()` (the text after "now:"). Finished runs are reused and unfinished
ones resume from their checkpoint (`training.run`), so a rerun after an interruption trains only what is
left, and a finished queue trains nothing. Several processes can share a queue on one results folder
(`train_all`'s `shared_by`): a run folder is locked while trained, so each run is trained by one of them.

The ETA (`Estimate`): a run whose settings were already trained on other seeds (runs of the queue finished
on disk) is predicted from their median seconds per step, by their own wall times, scaled by how fast this
session trains such runs against that prediction (the disk's runs may come from another machine or load).
Any other run: its work left, in images through the model (steps x n x batch size, weighted per dataset by
`image_cost`), divided by the rate (work units per second) of the queue's runs of that dataset trained in
this session and finished on disk (their time scaled the same way), or, for a dataset with neither, by
the rate over every dataset. Runs of one figure can differ a hundredfold in work per step yet by less in
time (a step has fixed costs), so a rate alone, measured on the smallest run first, can overstate the
rest severalfold; the seeds already on disk do not. Likewise a resumed grid's first cell may be among its
slowest (the paper grid's geometric median under ALIE with z=auto: 13 times its mean cell, so that its
first ETA after a resume said 47 hours instead of about 5): the cells finished on disk weigh in.
"""

import dataclasses
import os
import platform
import time

import numpy as np

from training import run_folder
from training.config import derived_run_name
from training.errors import RunInUse


def check_all(configs):
    """Validates every config before any trains (`training.validate`), after creating their tf.distribute
    strategy (`training.strategies.create`: a mirrored run's logical devices must exist before validation
    starts TensorFlow; the runs of one command share the strategy settings)."""
    import training
    from training import strategies

    configs = list(configs)
    if configs:
        strategies.create(configs[0])
    for config in configs:
        training.validate(config)


def steps_done(config):
    """Steps already trained by the run of `config`: all of them once it is finished (a run stopped when it
    diverged included), 0 when missing."""
    run_dir = run_folder.path(config)
    state = run_folder.state(run_dir, config.steps)
    if state.status != run_folder.UNFINISHED:
        return config.steps if state.finished else 0
    steps = run_folder.read_metrics(run_dir)["step"]
    return int(steps[-1]) if len(steps) else 0


def work(config, steps, image_cost=None):
    """Work units of `steps` steps of the run of `config`: images through the model, each weighted by
    `image_cost` ({dataset: relative cost of one image}, 1 for a dataset it does not name)."""
    return steps * config.n * config.batch_size * (image_cost or {}).get(config.dataset, 1.0)


def _settings(config):
    """The run name `config` derives at seed 0: runs that differ only in their seed share it."""
    return derived_run_name(dataclasses.replace(config, seed=0))


def _time_trained(config):
    """`run_folder.time_trained` of the run of `config`; (0, 0.0) when its metrics cannot be read (a damaged
    file only costs the ETA a point: training names it)."""
    try:
        return run_folder.time_trained(run_folder.path(config))
    except Exception:
        return 0, 0.0


class Estimate:
    """The seconds a queue's runs will take (the module's docstring says how)."""

    def __init__(self, finished, image_cost=None):
        """`finished`: configs of the queue's runs finished on disk before this session."""
        self.image_cost = image_cost
        self.per_step = {}  # settings -> seconds per step of each seed finished on disk
        self.disk_work, self.disk_seconds = {}, {}  # per dataset, finished on disk
        for config in finished:
            steps, seconds = _time_trained(config)
            if steps > 0 and np.isfinite(seconds):
                self.per_step.setdefault(_settings(config), []).append(seconds / steps)
                _add(self.disk_work, config.dataset, work(config, steps, image_cost))
                _add(self.disk_seconds, config.dataset, seconds)
        self.work, self.seconds = {}, {}  # per dataset, trained in this session
        self.measured = self.predicted = 0.0  # this session's runs with seeds on disk: seconds, and predicted

    def _from_disk(self, config, steps):
        if not self.per_step:  # a queue's first session: no settings to hash
            return None
        seconds_per_step = self.per_step.get(_settings(config))
        return float(np.median(seconds_per_step)) * steps if seconds_per_step else None

    def record(self, config, steps, seconds):
        """The run of `config` trained `steps` steps in `seconds` in this session."""
        predicted = self._from_disk(config, steps)
        if predicted is not None:
            self.measured += seconds
            self.predicted += predicted
        _add(self.work, config.dataset, work(config, steps, self.image_cost))
        _add(self.seconds, config.dataset, seconds)

    def remaining(self, left):
        """Seconds to train `left` [(config, steps left)]; None before this session's first run."""
        if not self.seconds or sum(self.seconds.values()) <= 0:
            return None
        scale = self.measured / self.predicted if self.predicted > 0 else 1.0
        pooled_work, pooled_seconds = dict(self.work), dict(self.seconds)
        for name in self.disk_seconds:
            _add(pooled_work, name, self.disk_work[name])
            _add(pooled_seconds, name, scale * self.disk_seconds[name])
        rates = {name: pooled_work[name] / pooled_seconds[name] for name in pooled_seconds if pooled_seconds[name] > 0}
        fallback = sum(pooled_work.values()) / sum(pooled_seconds.values())
        total = 0.0
        for config, steps in left:
            from_disk = self._from_disk(config, steps)
            if from_disk is not None:
                total += scale * from_disk
            else:
                total += work(config, steps, self.image_cost) / max(rates.get(config.dataset, fallback), 1e-300)
        return total


def _add(totals, key, value):
    totals[key] = totals.get(key, 0.0) + value


def duration(seconds):
    """'41m', '1h02m' (at least '1m')."""
    minutes = int(round(seconds / 60))
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{max(minutes, 1)}m"


def train_all(items, label, noun=("run", "runs"), image_cost=None, shared_by=1):
    """Trains (or reuses, or resumes) every item (each run folder once), after validating them all, with one
    progress line per item still to train: `[label] 4 of 7 runs done, 3 left, ETA 12m; now: <describe()>`,
    then `[label] 7 of 7 runs done`. `noun`: (singular, plural) of what is counted.

    `shared_by` = k > 1: k processes (this one among them) train the same items on one results folder, each
    in its own order: an item whose folder another process holds (`training.errors.RunInUse`) is left to
    it, one another process has finished is skipped, the counts are those on disk, and the ETA is the work
    left divided among the k."""
    import training

    unique = {}
    for item in items:
        unique.setdefault(run_folder.path(item.config), item)
    items = list(unique.values())
    check_all(item.config for item in items)
    before = {run_dir: steps_done(item.config) for run_dir, item in unique.items()}
    left = {run_dir: item.config.steps - before[run_dir] for run_dir, item in unique.items()}  # steps
    estimate = Estimate([item.config for run_dir, item in unique.items() if left[run_dir] == 0], image_cost)
    for run_dir, item in unique.items():
        if left[run_dir] and shared_by > 1:
            _forget_finished(left, unique)  # this run and the others: the counts below are those on disk
        if left[run_dir] == 0:
            continue
        remaining = estimate.remaining([(unique[other].config, steps) for other, steps in left.items() if steps])
        eta = (f"ETA {duration(remaining / shared_by)}" if remaining is not None
               else f"ETA after the first {noun[0]}")
        done = sum(1 for steps in left.values() if steps == 0)
        print(f"[{label}] {done} of {len(items)} {noun[1]} done, {len(items) - done} left, {eta}; "
              f"now: {item.describe()}", flush=True)
        started, trained_before = time.time(), _time_trained(item.config)
        try:
            training.run(item.config, validated=True)
        except RunInUse:
            if shared_by == 1:
                raise
            print(f"[{label}] another process holds it: left to it", flush=True)
            continue
        trained = _time_trained(item.config)
        last_step = trained[0] or item.config.steps  # a diverged run stops before its last
        # another process may have finished it just before this one got its folder: then its own wall time
        seconds = max(time.time() - started, trained[1] - trained_before[1])
        estimate.record(item.config, last_step - before[run_dir], seconds)
        left[run_dir] = 0
    done = sum(1 for steps in left.values() if steps == 0)
    others = "" if done == len(items) else f"; other processes are training the other {len(items) - done}"
    print(f"[{label}] {done} of {len(items)} {noun[1]} done{others}", flush=True)


def _forget_finished(left, unique):
    """Sets to 0 the steps left of the runs in `left` that are now finished on disk (by another process)."""
    for run_dir, steps in left.items():
        if steps and run_folder.state(run_dir, unique[run_dir].config.steps).finished:
            left[run_dir] = 0


def machine():
    """CPU model, cores, Python and TensorFlow versions: the line written in the report."""
    import tensorflow as tf

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as file:
            names = [line.split(":", 1)[1].strip() for line in file if line.startswith("model name")]
        model = names[0] if names else model
    except OSError:
        pass
    gpus = len(tf.config.list_physical_devices("GPU"))
    return (f"{model}, {os.cpu_count()} cores, {gpus or 'no'} GPU, Python {platform.python_version()}, "
            f"TensorFlow {tf.__version__}")
