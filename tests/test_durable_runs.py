"""Durable runs: Ctrl-C, SIGTERM and SIGKILL in any session, then a rerun, give the uninterrupted metrics;
one process per run folder; a truncated newest checkpoint falls back; a damaged metrics.csv or
config.json is named in a RunError saying what to do; Ctrl-C names the step; the rate leaves tracing out.

One setting throughout: Krum under lp on MNIST (../shared/data), 8 steps, evaluations at 4 and 8,
checkpoints at 3, 6 and 8. The subprocesses start first, together (each pays for TensorFlow's import).
"""

import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import types

import pytest
import tensorflow as tf

import training
from interrupting import steps_raising_at
from training import checkpoints, loop, run_folder
from training.errors import Interrupted

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.path.dirname(REPO), "shared", "data")
SETTINGS = dict(dataset="mnist", data_dir=DATA, gar="krum", n=5, f=1, attack="lp", batch_size=8, lr0=0.5,
                lr_decay=100, steps=8, eval_every=4, checkpoint_every=3, eval_examples=100, seed=1)
FLAGS = [f"--{key}={value}" for key, value in SETTINGS.items()]
ENV = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="2")

pytestmark = pytest.mark.skipif(not os.path.isdir(os.path.join(DATA, "mnist")), reason="../shared/data absent")


def _config(results, name):
    return training.RunConfig(**SETTINGS, results_dir=str(results), run_name=name)


def _text(run_dir):
    """metrics.csv's lines as written, the wall_time column cut out."""
    with open(os.path.join(run_dir, "metrics.csv"), newline="") as file:
        text = file.read()
    assert text.endswith("\r\n")
    return [",".join(cells[:1] + cells[2:]) for cells in (line.split(",") for line in text.splitlines())]


def _hold(run_dir):
    """Locks `run_dir` as another process would: flock on <run_dir>/lock, this PID in it."""
    descriptor = os.open(os.path.join(run_dir, "lock"), os.O_RDWR | os.O_CREAT)
    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(descriptor, f"{os.getpid()}\n".encode())
    return descriptor


def _files(run_dir):
    """{relative path: bytes} of every file under `run_dir`."""
    return {os.path.relpath(os.path.join(root, name), run_dir): open(os.path.join(root, name), "rb").read()
            for root, _, names in os.walk(run_dir) for name in names}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return tmp_path_factory.mktemp("durable")


@pytest.fixture(scope="module", autouse=True)
def commands(results):
    """{name: Popen}: two runs stopped by SIGINT at their 5th step, then, resumed from step 3, by SIGTERM
    at their 2nd step or SIGKILL at their 3rd; and `experiments.run` on the folder "busy", which this
    process holds locked until `test_a_second_process_on_a_folder_in_use_exits_2_naming_it` lets it go."""
    (results / "busy").mkdir()
    holder = _hold(results / "busy")
    interrupting = os.path.join(REPO, "tests", "interrupting.py")
    common = FLAGS + [f"--results_dir={results}"]
    started = {
        "SIGTERM": [sys.executable, interrupting, "SIGINT:5", "SIGTERM:2", "--"] + common + ["--run_name=SIGTERM"],
        "SIGKILL": [sys.executable, interrupting, "SIGINT:5", "SIGKILL:3", "--"] + common + ["--run_name=SIGKILL"],
        "busy": [sys.executable, "-m", "experiments.run"] + common + ["--run_name=busy"],
    }
    processes = {name: subprocess.Popen(command, cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True) for name, command in started.items()}
    processes["holder"] = holder
    yield processes
    for name, process in processes.items():
        if name != "holder" and process.poll() is None:
            process.kill()
            process.communicate()
    try:
        os.close(holder)
    except OSError:  # released by the test
        pass


def _outcome(process):
    stdout, stderr = process.communicate(timeout=600)
    return process.returncode, stdout, stderr


@pytest.fixture(scope="module")
def reference(results):
    """The uninterrupted run's metrics (wall_time aside)."""
    return _text(training.run(_config(results, "reference"), progress=False))


@pytest.fixture(scope="module")
def interrupted(results):
    """A run stopped at its 7th step: checkpoints at steps 3 and 6, rows 0 to 6."""
    with pytest.MonkeyPatch.context() as monkeypatch, steps_raising_at(monkeypatch, 7):
        with pytest.raises(KeyboardInterrupt):
            training.run(_config(results, "interrupted"), progress=False)
    return str(results / "interrupted")


def _copy(interrupted, results, name):
    shutil.copytree(interrupted, results / name)
    return str(results / name)


@pytest.mark.parametrize("name, code, last", [("SIGTERM", -signal.SIGTERM, 4), ("SIGKILL", -signal.SIGKILL, 5)])
def test_sigint_then_a_kill_in_the_resumed_session_then_a_rerun_give_the_uninterrupted_metrics(
        commands, reference, results, name, code, last):
    returncode, stdout, stderr = _outcome(commands[name])
    assert returncode == code, stderr[-3000:]
    run_dir = str(results / name)
    assert _text(run_dir) == reference[:last + 2]  # every row written before the kill is on disk
    assert _text(training.run(_config(results, name), progress=False)) == reference
    assert f"SIGINT: [{name}] interrupted at step 4; rerun the same command to resume" in stdout.splitlines()


def test_a_second_process_on_a_folder_in_use_exits_2_naming_it(commands, reference, results):
    run_dir = str(results / "busy")
    returncode, _, stderr = _outcome(commands["busy"])
    assert returncode == 2
    message = f"{run_dir} is in use by process {os.getpid()}"
    assert [line for line in stderr.splitlines() if line.startswith("error:")] == [
        f"error: {message}, another run of the same settings; wait for it to end (or stop it), then rerun"]
    with pytest.raises(training.RunError, match=re.escape(message)):  # the same in this process
        training.run(_config(results, "busy"), progress=False)
    assert os.listdir(run_dir) == ["lock"]  # nothing read or written by either
    os.close(commands["holder"])
    assert _text(training.run(_config(results, "busy"), progress=False)) == reference
    assert "lock" not in os.listdir(run_dir)


def test_a_lock_left_by_a_dead_process_does_not_block(interrupted, reference, results, monkeypatch):
    run_dir = _copy(interrupted, results, "stale")
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    with open(os.path.join(run_dir, "lock"), "w") as file:
        file.write(f"{dead.pid}\n")
    seen = []
    real = loop.make_train_step

    def checking(*args, **kwargs):  # while the run trains: this PID in the lock, which is held
        with open(os.path.join(run_dir, "lock")) as file:
            holder = file.read().strip()
            try:
                fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = False
            except BlockingIOError:
                held = True
        seen.append((holder, held))
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "make_train_step", checking)
    assert _text(training.run(_config(results, "stale"), progress=False)) == reference
    assert seen == [(str(os.getpid()), True)]
    assert "lock" not in os.listdir(run_dir)


def test_a_run_finished_by_another_process_meanwhile_is_not_trained_again(reference, results, monkeypatch):
    run_dir = str(results / "reference")
    stale = {**run_folder.read_config(run_dir), "finished": False}  # read before the other process finished
    real, reads = run_folder.read_config, []

    def read_config(folder):
        reads.append(folder)
        return stale if len(reads) == 1 else real(folder)

    monkeypatch.setattr(run_folder, "read_config", read_config)
    monkeypatch.setattr(loop, "make_train_step", lambda *args, **kwargs: pytest.fail("trained again"))
    assert training.run(_config(results, "reference"), progress=False) == run_dir
    assert reads == [run_dir, run_dir]


def _cut(path, size):
    with open(path, "r+b") as file:
        file.truncate(size(os.path.getsize(path)))


@pytest.fixture
def warnings(monkeypatch):
    said = []
    monkeypatch.setattr(checkpoints.logging, "warning", lambda message, *args: said.append(message % args))
    return said


def test_a_truncated_newest_checkpoint_falls_back_to_the_previous_one(interrupted, reference, results, warnings):
    names = ("params", "step", "nonfinite_steps")
    for name, part, size in [("half", "data", lambda size: size // 2), ("1000", "data", lambda size: 1000),
                             ("empty-index", "index", lambda size: 0), ("zero", "data", lambda size: 0)]:
        run_dir = _copy(interrupted, results, f"truncated-{name}")
        prefix = os.path.join(run_dir, "checkpoints", "ckpt-6")
        _cut(prefix + (".data-00000-of-00001" if part == "data" else ".index"), size)
        values, _ = checkpoints.read(os.path.join(run_dir, "checkpoints"), names, step=3)
        variables = {key: tf.Variable(tf.zeros_like(value)) for key, value in values.items()}
        warnings.clear()
        assert checkpoints.restore(os.path.join(run_dir, "checkpoints"), variables) == 3, name
        assert int(variables["step"].numpy()) == 3 and warnings[0].startswith(f"checkpoint {prefix} is unreadable (")
    # The last one, a .data file cut to zero bytes, trained to the end:
    assert _text(training.run(_config(results, "truncated-zero"), progress=False)) == reference
    assert warnings[-2].startswith(f"checkpoint {prefix} is unreadable (Read less bytes than requested)")
    run_dir = _copy(interrupted, results, "truncated-all")
    for step in (3, 6):
        _cut(os.path.join(run_dir, "checkpoints", f"ckpt-{step}.data-00000-of-00001"), lambda size: size // 2)
    with pytest.raises(training.RunError, match=re.escape(f"no readable checkpoint in {run_dir}/checkpoints "
                                                          f"(ckpt-6, ckpt-3 are corrupt); delete the run folder "
                                                          f"{run_dir} to train the run from the start")):
        training.run(_config(results, "truncated-all"), progress=False)


def test_a_row_cut_by_a_kill_is_dropped(interrupted, reference, results):
    run_dir = _copy(interrupted, results, "cut-row")
    with open(os.path.join(run_dir, "metrics.csv"), "ab") as file:
        file.write(b"7,3.1,0.4716")  # a kill in the middle of writing row 7
    assert list(training.read_metrics(run_dir)["step"]) == list(range(7))
    assert _text(training.run(_config(results, "cut-row"), progress=False)) == reference


def _rewrite_line(number, text):
    def damage(path):
        with open(path, "rb") as file:
            lines = file.read().split(b"\r\n")
        lines[number] = text
        with open(path, "wb") as file:
            file.write(b"\r\n".join(lines))
    return damage


def _keep_lines(count):
    def damage(path):
        with open(path, "rb") as file:
            lines = file.read().split(b"\r\n")
        with open(path, "wb") as file:
            file.write(b"\r\n".join(lines[:count] + [b""]))
    return damage


@pytest.mark.parametrize("case, damage, what, plots", [
    ("emptied", lambda path: open(path, "w").close(), "is empty", True),
    ("garbage", _rewrite_line(3, b"2,oops"), "has a malformed line 4", True),
    ("binary", _rewrite_line(3, b"\xff\xfe\x00\x01\x80 binary"), "has a malformed line 4", True),
    ("columns", _rewrite_line(0, b"step,wall_time,lr,loss,accuracy,test_loss,gamma,selected"), "has the columns",
     True),
    ("hole", _rewrite_line(5, b"5,7.8,0.48,2.1,,,1.6,1"), "has the row of step 5 after that of step 3", True),
    ("short", _keep_lines(6), "ends at step 4, before step 6", False),  # for plots: a run up to step 4
])
def test_a_damaged_metrics_file_is_named_with_what_to_do(interrupted, results, case, damage, what, plots):
    name = f"metrics-{case}"
    run_dir = _copy(interrupted, results, name)
    path = os.path.join(run_dir, "metrics.csv")
    damage(path)
    before = _files(run_dir)
    expected = re.escape(f"{path} {what}") + ".*" + re.escape(f"; delete the run folder {run_dir} to train the run "
                                                              "again (its checkpoints cannot rebuild the metrics)")
    if plots:
        with pytest.raises(training.RunError, match=expected):
            training.read_metrics(run_dir)
    with pytest.raises(training.RunError, match=expected):
        training.run(_config(results, name), progress=False)
    assert _files(run_dir) == before


def test_a_missing_metrics_file_is_named_with_what_to_do(interrupted, results):
    run_dir = _copy(interrupted, results, "metrics-missing")
    os.remove(os.path.join(run_dir, "metrics.csv"))
    with pytest.raises(training.RunError, match=re.escape(
            f"{run_dir}/metrics.csv is missing while the run has a checkpoint of step 6; delete the run folder "
            f"{run_dir} to train the run again")):
        training.run(_config(results, "metrics-missing"), progress=False)
    assert not os.path.exists(os.path.join(run_dir, "metrics.csv"))


@pytest.mark.parametrize("case, content, what", [
    ("cut", b'{"steps": 8, "fini', "is not valid JSON"),
    ("binary", b"\x00\xff\xfe binary", "is not valid JSON"),
    ("list", b"[1, 2]", "holds a JSON list, not an object"),
])
def test_a_damaged_config_is_named_with_what_to_do(interrupted, results, case, content, what):
    name = f"config-{case}"
    run_dir = _copy(interrupted, results, name)
    with open(os.path.join(run_dir, "config.json"), "wb") as file:
        file.write(content)
    path = os.path.join(run_dir, "config.json")
    with pytest.raises(training.RunError, match=re.escape(f"{path} {what}") + ".*" +
                       re.escape(f"; delete the run folder {run_dir} to train the run again")):
        training.run(_config(results, name), progress=False)
    assert run_folder.state(run_dir).status == "unfinished"


def test_ctrl_c_in_a_step_an_evaluation_or_a_save_names_the_last_step_written(reference, results, monkeypatch):
    run_dir = str(results / "ctrl-c")

    def interrupted_at():
        with pytest.raises(KeyboardInterrupt) as interrupt:
            training.run(_config(results, "ctrl-c"), progress=False)
        assert isinstance(interrupt.value, Interrupted)
        found = re.fullmatch(r"\[ctrl-c\] interrupted at step (\d+); rerun the same command to resume",
                             str(interrupt.value))
        assert found, str(interrupt.value)
        return int(found.group(1))

    with steps_raising_at(monkeypatch, 5):  # step 5
        assert interrupted_at() == 4
    assert len(_text(run_dir)) == 6  # the header and rows 0 to 4, flushed

    real_evaluate, real_save = loop.make_evaluate, checkpoints.save

    def evaluate_raising(*args, **kwargs):  # its first call, at step 4 (resumed from step 3)
        def evaluate():
            raise KeyboardInterrupt
        return evaluate

    monkeypatch.setattr(loop, "make_evaluate", evaluate_raising)
    assert interrupted_at() == 3
    monkeypatch.setattr(loop, "make_evaluate", real_evaluate)

    def save_raising(directory, step, variables, keep=checkpoints.KEEP):
        if step == 6:
            raise KeyboardInterrupt
        return real_save(directory, step, variables, keep)

    monkeypatch.setattr(checkpoints, "save", save_raising)
    assert interrupted_at() == 6
    monkeypatch.setattr(checkpoints, "save", real_save)
    assert _text(training.run(_config(results, "ctrl-c"), progress=False)) == reference


def test_the_rate_leaves_out_the_sessions_first_step(interrupted, results, monkeypatch, capsys):
    _copy(interrupted, results, "rate")
    clock = [1000.0]
    real = loop.make_train_step

    def timed(*args, **kwargs):  # the session's first step (tracing) takes 100 s, the next one 1 s
        train_step, names = real(*args, **kwargs)
        calls = []

        def step():
            calls.append(1)
            clock[0] += 100.0 if len(calls) == 1 else 1.0
            return train_step()

        return step, names

    monkeypatch.setattr(loop, "make_train_step", timed)
    monkeypatch.setattr(loop, "time", types.SimpleNamespace(time=lambda: clock[0]))
    training.run(_config(results, "rate"), progress=True)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "[rate] resuming from the checkpoint at step 6"
    assert lines[1] == "[rate] step 7/8  accuracy -  starting"
    assert re.fullmatch(r"\[rate\] step 8/8  accuracy \d+\.\d\d%  1\.00 steps/s  ETA 0s", lines[2]), lines[2]

