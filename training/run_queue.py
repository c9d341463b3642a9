"""Training a queue of runs in one process: all validated first, then trained in order, with one overall
progress line per run (runs done and left, and an ETA by the rate measured in this session).

    [reproduce] 4 of 7 runs done, 3 left, ETA 12m; now: MNIST / Krum, seed 2 (results/paper/mnist-krum-...)
    [grid] 12 of 96 cells done, 84 left, ETA 41m; now: krum / lp / iid / seed 2

Used by `python -m experiments.reproduce` (every run of the paper's figures) and `python -m
experiments.grid` (every cell of the robustness grid). A queued item is anything with a `config`
(`training.RunConfig`) and a `describe()` (the text after "now:"). Finished runs are reused and unfinished
ones resume from their checkpoint (`training.run`), so a rerun after an interruption trains only what is
left, and a finished queue trains nothing.

The ETA: the work left, in images through the model (steps x n x batch size, weighted per dataset by
`image_cost`), divided by the rate measured in this session on that dataset (work units per second), or,
for a dataset not measured yet, by the rate over every dataset measured.
"""

import os
import platform
import time

from training import run_folder


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


def duration(seconds):
    """'41m', '1h02m' (at least '1m')."""
    minutes = int(round(seconds / 60))
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{max(minutes, 1)}m"


def train_all(items, label, noun=("run", "runs"), image_cost=None):
    """Trains (or reuses, or resumes) every item (each run folder once), after validating them all, with one
    progress line per item still to train: `[label] 4 of 7 runs done, 3 left, ETA 12m; now: <describe()>`,
    then `[label] 7 of 7 runs done`. `noun`: (singular, plural) of what is counted."""
    import training

    unique = {}
    for item in items:
        unique.setdefault(run_folder.path(item.config), item)
    items = list(unique.values())
    check_all(item.config for item in items)
    left = {run_dir: work(item.config, item.config.steps - steps_done(item.config), image_cost)
            for run_dir, item in unique.items()}
    done = sum(1 for run_dir in unique if left[run_dir] == 0)
    measured, seconds = {}, {}  # per dataset, trained in this session
    for run_dir, item in unique.items():
        if left[run_dir] == 0:
            continue
        rates = {name: measured[name] / seconds[name] for name in measured if seconds[name] > 0}
        if rates:
            fallback = sum(measured.values()) / sum(seconds.values())
            remaining = sum(left[other] / rates.get(unique[other].config.dataset, fallback) for other in unique)
            eta = f"ETA {duration(remaining)}"
        else:
            eta = f"ETA after the first {noun[0]}"
        print(f"[{label}] {done} of {len(items)} {noun[1]} done, {len(items) - done} left, {eta}; "
              f"now: {item.describe()}", flush=True)
        started = time.time()
        training.run(item.config, validated=True)
        dataset = item.config.dataset
        measured[dataset] = measured.get(dataset, 0.0) + left[run_dir]
        seconds[dataset] = seconds.get(dataset, 0.0) + time.time() - started
        left[run_dir] = 0.0
        done += 1
    print(f"[{label}] {len(items)} of {len(items)} {noun[1]} done", flush=True)


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
