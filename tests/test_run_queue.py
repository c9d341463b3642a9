"""The queue's ETA (`training.run_queue.Estimate`), on hand-computed cases: from the rate of this session's
runs when no other seed of a run's settings is on disk, from the seeds on disk (median seconds per step)
scaled by this session's speed when there are; and the progress lines `train_all` prints with it."""

import csv
import dataclasses
import os

import pytest

import training
from training import metrics, run_folder, run_lock, run_queue
from training.errors import RunInUse


def _config(tmp_path, **changes):
    settings = dict(dataset="mnist", gar="krum", n=5, f=1, attack="lp", batch_size=4, steps=10, seed=1,
                    results_dir=str(tmp_path))
    return training.RunConfig(**{**settings, **changes})


def _write_run(config, steps, seconds):
    """A run folder of `config` finished after `steps` steps, its last row at wall time `seconds`."""
    run_dir = run_folder.path(config)
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(run_dir, "metrics.csv"), "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(metrics.BASE_COLUMNS)
        writer.writerow([0, 0.0, 1.0, "", 0.1, 2.3])
        for step in range(1, steps + 1):
            writer.writerow([step, seconds * step / steps, 1.0, 2.0, "", ""])
    run_folder.write_config(run_dir, {**dataclasses.asdict(config), "finished": True})


def test_no_eta_before_the_sessions_first_run(tmp_path):
    assert run_queue.Estimate([]).remaining([(_config(tmp_path), 10)]) is None


def test_without_seeds_on_disk_the_eta_is_the_work_at_this_sessions_rate(tmp_path):
    estimate = run_queue.Estimate([])
    estimate.record(_config(tmp_path, batch_size=4), steps=10, seconds=8.0)  # 10 * 5 * 4 = 200 images: 25/s
    left = [(_config(tmp_path, batch_size=8, seed=2), 10), (_config(tmp_path, batch_size=2, seed=3), 5)]
    assert estimate.remaining(left) == pytest.approx((400 + 50) / 25)


def test_a_dataset_not_measured_yet_takes_the_rate_over_every_dataset(tmp_path):
    estimate = run_queue.Estimate([], image_cost={"cifar10": 4.0})
    estimate.record(_config(tmp_path), steps=10, seconds=8.0)  # 200 work units in 8 s
    estimate.record(_config(tmp_path, seed=2), steps=10, seconds=2.0)  # 400 in 10 s: 40 per s
    cifar = _config(tmp_path, dataset="cifar10", seed=3)
    assert estimate.remaining([(cifar, 10)]) == pytest.approx(10 * 5 * 4 * 4.0 / 40)


def test_seeds_on_disk_give_the_eta_scaled_by_this_sessions_speed(tmp_path):
    big, small = _config(tmp_path, batch_size=64), _config(tmp_path, batch_size=1)
    for seed, seconds in ((2, 100.0), (3, 140.0), (4, 120.0)):  # 12 s per step: the median of 10, 14, 12
        _write_run(dataclasses.replace(big, seed=seed), 10, seconds)
    _write_run(dataclasses.replace(small, seed=2), 10, 20.0)  # 2 s per step
    _write_run(dataclasses.replace(small, seed=3), 5, 10.0)  # stopped diverged at step 5: 2 s per step too
    finished = [dataclasses.replace(big, seed=s) for s in (2, 3, 4)] + [dataclasses.replace(small, seed=s)
                                                                         for s in (2, 3)]
    estimate = run_queue.Estimate(finished)
    estimate.record(small, steps=10, seconds=10.0)  # predicted 20 s: this session runs at half the time
    assert estimate.remaining([(big, 10)]) == pytest.approx(0.5 * 12 * 10)
    # settings not on disk: the rate of every run, on disk (their 390 s scaled by 0.5) and in this session
    pooled = (3 * 10 * 5 * 64 + 10 * 5 * 1 + 5 * 5 * 1 + 10 * 5 * 1) / (0.5 * (360 + 20 + 10) + 10)
    assert estimate.remaining([(big, 10), (_config(tmp_path, gar="median"), 10)]) == pytest.approx(
        60 + 10 * 5 * 4 / pooled)  # this session's rate alone, on its one small run: 40 s


def test_a_slow_first_run_does_not_set_the_rate_when_runs_are_on_disk(tmp_path):
    finished = [_config(tmp_path, seed=seed) for seed in (2, 3, 4)]
    for config in finished:
        _write_run(config, 10, 10.0)  # 1 s per step
    estimate = run_queue.Estimate(finished)
    estimate.record(_config(tmp_path, gar="median"), steps=10, seconds=100.0)  # no seed on disk: scale 1
    left = [(_config(tmp_path, gar="trimmed-mean"), 10)]  # the same work per step
    assert estimate.remaining(left) == pytest.approx(130 / 4)  # 4 runs' work in 130 s, not the session's 100 s


def test_train_all_prints_the_eta_from_the_seeds_on_disk(tmp_path, monkeypatch, capsys):
    clock = [0.0]
    seconds_per_step = {1: 0.5, 64: 6.0}  # this session: half the disk's 1 and 12 s per step

    def train(config, validated):
        clock[0] += config.steps * seconds_per_step[config.batch_size]
        _write_run(config, config.steps, config.steps * seconds_per_step[config.batch_size])

    monkeypatch.setattr(run_queue.time, "time", lambda: clock[0])
    monkeypatch.setattr(run_queue, "check_all", lambda configs: list(configs))
    monkeypatch.setattr(training, "run", train)
    small, big = _config(tmp_path, batch_size=1), _config(tmp_path, batch_size=64)
    for seed in (2, 3):
        _write_run(dataclasses.replace(small, seed=seed), 10, 10.0)
        _write_run(dataclasses.replace(big, seed=seed), 10, 120.0)
    items = [type("Item", (), {"config": config, "describe": lambda self, c=config: f"b={c.batch_size}"})()
             for config in (dataclasses.replace(small, seed=2), small, big, dataclasses.replace(big, seed=3))]
    run_queue.train_all(items, "test")
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["[test] 2 of 4 runs done, 2 left, ETA after the first run; now: b=1",
                     "[test] 3 of 4 runs done, 1 left, ETA 1m; now: b=64",  # 0.5 * 120 s, not 64 * 5 s
                     "[test] 4 of 4 runs done"]


def test_processes_sharing_a_queue_leave_each_other_their_runs(tmp_path, monkeypatch, capsys):
    clock = [0.0]
    configs = {seed: _config(tmp_path, seed=seed) for seed in range(1, 6)}

    def train(config, validated):
        with run_lock.hold(run_folder.path(config)):  # RunInUse for the folder this test holds
            if config.seed == 1:
                clock[0] += 600.0
                _write_run(configs[3], 10, 600.0)  # meanwhile another process finishes seed 3
            elif config.seed == 5:
                clock[0] += 600.0
            _write_run(config, 10, 600.0)  # seed 4: finished by another process just before this one's turn

    monkeypatch.setattr(run_queue.time, "time", lambda: clock[0])
    monkeypatch.setattr(run_queue, "check_all", lambda configs: list(configs))
    monkeypatch.setattr(training, "run", train)
    items = [type("Item", (), {"config": config, "describe": lambda self, s=seed: f"seed {s}"})()
             for seed, config in configs.items()]
    with run_lock.hold(run_folder.path(configs[2])):  # another process trains seed 2
        run_queue.train_all(items, "test", shared_by=2)
    assert capsys.readouterr().out.splitlines() == [
        "[test] 0 of 5 runs done, 5 left, ETA after the first run; now: seed 1",
        "[test] 2 of 5 runs done, 3 left, ETA 15m; now: seed 2",  # 3 runs of 10 min, shared by 2
        "[test] another process holds it: left to it",
        "[test] 2 of 5 runs done, 3 left, ETA 15m; now: seed 4",  # seed 3 was skipped, seed 2 left to its holder
        "[test] 3 of 5 runs done, 2 left, ETA 10m; now: seed 5",  # seed 4 took its trainer's 10 min, not 0 s
        "[test] 4 of 5 runs done; other processes are training the other 1"]
    with pytest.raises(RunInUse), run_lock.hold(run_folder.path(configs[2])):
        run_queue.train_all(items[1:2], "test")  # not shared: a folder in use is an error
