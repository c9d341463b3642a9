"""The gradient stage over tf.distribute replicas: same metrics and parameters, bit for bit, as one process.

Logical CPU devices and collectives must be configured before TensorFlow starts, so the distributed runs
go to subprocesses (tests/distributed_worker.py registers the synthetic dataset there); the
single-process reference runs here.
"""

import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

import training
from experiments import launch_local
from training import command_line, datasets, strategies

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(REPO, "tests")
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([TESTS, REPO]), TF_CPP_MIN_LOG_LEVEL="2")
# Krum under the lp attack; n = 7, f = 2: h = 5 honest workers, so 2 replicas get 3 each (one padding row).
SETTINGS = dict(dataset="synthetic", gar="krum", n=7, f=2, attack="lp", batch_size=8, lr0=0.5, lr_decay=100,
                steps=5, eval_every=2, checkpoint_every=2, seed=3)
FLAGS = [f"--{key}={value}" for key, value in SETTINGS.items()]

datasets.register("synthetic", lambda *_: datasets.synthetic(train=256, test=100))


def _loopback_port_available():
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
        return True
    except OSError:
        return False


needs_loopback = pytest.mark.skipif(not _loopback_port_available(),
                                    reason="no port can be bound on 127.0.0.1 for the worker processes")


def _final_params(run_dir):
    return tf.train.load_checkpoint(os.path.join(run_dir, "checkpoints")).get_tensor(
        "params/.ATTRIBUTES/VARIABLE_VALUE")


def _assert_same_run(run_dir, reference_dir, extended_at=None):
    """Metrics (wall time aside) and final parameters equal bit for bit. `extended_at`: the step where
    `run_dir` was extended from a shorter run (it has an extra evaluation there)."""
    got, want = training.read_metrics(run_dir), training.read_metrics(reference_dir)
    assert list(got) == list(want) and "gamma" in got  # the attack's logged values are there
    if extended_at is not None:
        assert not np.isnan(got["accuracy"][extended_at])
        for column in ("accuracy", "test_loss"):
            got[column][extended_at] = want[column][extended_at]
    for column in want:
        if column != "wall_time":
            np.testing.assert_array_equal(got[column], want[column], err_msg=column)
    np.testing.assert_array_equal(_final_params(run_dir).view(np.uint32),
                                  _final_params(reference_dir).view(np.uint32))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The single-process run of SETTINGS (5 steps), and one stopped after 3 steps."""
    root = tmp_path_factory.mktemp("single")
    whole = training.run(training.RunConfig(**SETTINGS, results_dir=str(root), run_name="whole"), progress=False)
    part = training.run(training.RunConfig(**dict(SETTINGS, steps=3), results_dir=str(root), run_name="part"),
                        progress=False)
    assert training.read_metrics(whole)["accuracy"][-1] < 0.5  # the attack is felt (a sanity check)
    return whole, part


def test_mirrored_over_two_logical_cpus_equals_one_process(reference, tmp_path):
    whole, part = reference
    resumed = tmp_path / "resumed"
    subprocess.run(["cp", "-r", part, str(resumed)], check=True)
    script = (  # the command line (strategy, validate, run validated), then training.run (validates itself)
        "import distributed_worker, training\n"  # registers the dataset
        "from experiments import run\n"
        f"run.FLAGS(['run'] + {FLAGS!r} + ['--results_dir={tmp_path}', '--run_name=mirrored', "
        "'--strategy=mirrored', '--replicas=2'])\n"
        "run.main(['run'])\n"
        f"settings = dict({SETTINGS!r}, results_dir={str(tmp_path)!r}, strategy='mirrored', replicas=2)\n"
        "training.run(training.RunConfig(**settings, run_name='resumed'), progress=False)\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=ENV, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    _assert_same_run(str(tmp_path / "mirrored"), whole)
    _assert_same_run(str(resumed), whole, extended_at=3)  # a single-process checkpoint extended on 2 replicas


@needs_loopback
def test_multi_worker_over_two_processes_equals_one_process(tmp_path):
    n8 = ["--n=8"]  # h = 6: 3 workers each, no padding
    single = training.run(training.RunConfig(**dict(SETTINGS, n=8), results_dir=str(tmp_path / "single")),
                          progress=False)
    command = [sys.executable, "-m", "experiments.launch_local", "--workers=2", "--timeout=240",
               "--module=distributed_worker", f"--log_dir={tmp_path / 'logs'}", "--"]
    result = subprocess.run(command + FLAGS + n8 + [f"--results_dir={tmp_path}", "--run_name=multi"], cwd=REPO, env=ENV,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "final test accuracy" in result.stdout  # the chief's output is streamed
    info = [line for line in result.stdout.splitlines() + result.stderr.splitlines() if command_line.is_info_line(line)]
    assert not info and "INFO" not in result.stdout, info  # stdout: the chief's own lines; stderr: no INFO lines
    with open(tmp_path / "logs" / "worker-1.log") as file:
        assert "worker done (the chief writes the run's files)" in file.read()
    _assert_same_run(str(tmp_path / "multi"), single)


@needs_loopback
def test_launcher_stops_every_worker_when_one_fails_and_a_rerun_resumes(reference, tmp_path):
    whole, _ = reference
    command = [sys.executable, "-m", "experiments.launch_local", "--workers=2", "--timeout=240",
               "--module=distributed_worker", f"--log_dir={tmp_path / 'logs'}", "--"]
    flags = FLAGS + [f"--results_dir={tmp_path}", "--run_name=run"]
    start = time.time()
    failed = subprocess.run(command + flags, cwd=REPO, env=dict(ENV, TEST_FAIL_AT_STEP="4"),
                            capture_output=True, text=True, timeout=300)
    assert failed.returncode == 1, failed.stderr[-3000:]
    report = failed.stderr[failed.stderr.index("launch_local: worker"):]
    assert report.startswith("launch_local: worker 1 ")
    assert "RuntimeError: simulated failure of this worker at its step 4" in report
    assert time.time() - start < 120
    assert training.read_metrics(str(tmp_path / "run"))["step"][-1] >= 2  # the chief's checkpoint at step 2
    rerun = subprocess.run(command + flags, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "resuming from the checkpoint at step 2" in rerun.stdout
    _assert_same_run(str(tmp_path / "run"), whole)


def test_launcher_reports_a_worker_that_exits_early_and_its_error(tmp_path):
    """Without TensorFlow: worker 1 exits with code 3 at once, worker 0 would wait for ever."""
    module = tmp_path / "stub_worker.py"
    module.write_text("import json, os, sys, time\n"
                      "if json.loads(os.environ['TF_CONFIG'])['task']['index'] == 1:\n"
                      "    print('ValueError: stub worker broke', file=sys.stderr)\n"
                      "    sys.exit(3)\n"
                      "print('waiting', flush=True)\n"
                      "time.sleep(600)\n")
    start = time.time()
    result = subprocess.run([sys.executable, "-m", "experiments.launch_local", "--workers=2",
                             "--module=stub_worker", "--", "--ignored"], cwd=REPO, capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), REPO])), timeout=60)
    assert result.returncode == 3
    assert "worker 1" in result.stderr and "ValueError: stub worker broke" in result.stderr
    assert time.time() - start < 30


def test_launcher_timeout_stops_the_workers(tmp_path):
    (tmp_path / "sleeper.py").write_text("import time\ntime.sleep(600)\n")
    start = time.time()
    result = subprocess.run([sys.executable, "-m", "experiments.launch_local", "--workers=2", "--timeout=2",
                             "--module=sleeper"], cwd=REPO, capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), REPO])))
    assert result.returncode == 124 and "timeout after 2 s" in result.stderr
    assert time.time() - start < 20


@pytest.mark.parametrize("argv, message", [
    (["--workers=0"], "--workers must be >= 1, got 0"),
    (["--workers=2", "--timeout=-1"], "--timeout must be > 0 seconds, got -1.0"),
    (["--workers=2", "--", "--strategy=mirrored"], "the workers run with --strategy=multi_worker; do not pass "
                                                    "another --strategy"),
    ([], "--workers is required (the processes to start)"),
])
def test_launcher_bad_flags_exit_2(argv, message, capsys):
    parse = command_line.parser(launch_local.FLAGS, launch_local.__doc__)
    try:
        with pytest.raises(SystemExit) as exit_info:
            launch_local.main(parse(["launch_local"] + argv))
    finally:
        launch_local.FLAGS.unparse_flags()
    assert exit_info.value.code == 2 and capsys.readouterr().err == f"error: {message}\n"


def test_tf_config_names_every_worker_and_this_task():
    ports = launch_local.free_ports(3)
    assert len(set(ports)) == 3
    addresses = [f"127.0.0.1:{port}" for port in ports]
    assert launch_local.tf_config(addresses, 1) == (
        '{"cluster": {"worker": ["%s", "%s", "%s"]}, "task": {"type": "worker", "index": 1}}' % tuple(addresses))


@pytest.mark.parametrize("changes, environ, message", [
    (dict(strategy="ring"), None, "strategy must be one of none, mirrored, multi_worker, got 'ring'"),
    (dict(strategy="mirrored", replicas=0), None, "replicas must be an integer >= 1, got 0"),
    (dict(replicas=2), None, "replicas is for strategy=mirrored"),
    (dict(strategy="multi_worker"), None, "reads the cluster from the TF_CONFIG environment variable"),
    (dict(strategy="multi_worker"), "{bad json", "TF_CONFIG must be JSON with cluster"),
    (dict(strategy="multi_worker"), '{"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "worker", '
     '"index": 1}}', "task worker:1 is not in the cluster"),
])
def test_validate_refuses_bad_strategy_settings(changes, environ, message, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    if environ is not None:
        monkeypatch.setenv("TF_CONFIG", environ)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        training.validate(training.RunConfig(dataset="synthetic", **changes))


def test_validate_only_checks_the_strategy(monkeypatch):
    """It creates none: `training.run` (or the command line) creates it, before validate starts TensorFlow."""
    monkeypatch.setattr(strategies, "create", lambda config: pytest.fail("validate created a strategy"))
    training.validate(training.RunConfig(dataset="synthetic", strategy="mirrored", replicas=2))


def test_strategy_settings_do_not_change_the_run_name():
    plain = training.RunConfig(dataset="synthetic", gar="krum", n=7, f=2)
    distributed = training.RunConfig(dataset="synthetic", gar="krum", n=7, f=2, strategy="mirrored", replicas=3)
    assert training.derived_run_name(plain) == training.derived_run_name(distributed)
    assert "strategy" not in plain.trajectory() and "replicas" not in plain.trajectory()
