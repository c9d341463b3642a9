"""`python -m experiments.run`: impossible settings exit 2 with one clear line, before any data loads."""

import os
import re
import subprocess
import sys

import pytest

from experiments import run as cli
from training import command_line

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = next((path for path in (os.path.join(REPO, "..", "shared", "data"),
                                      os.path.join(REPO, "..", "..", "shared", "data"))
                    if os.path.isdir(os.path.join(path, "mnist"))), None)


def _main(argv):
    """Runs `experiments.run` in-process with `argv`, expecting it to exit; returns the exit code."""
    cli.FLAGS(["run"] + argv)
    try:
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["run"])
    finally:
        cli.FLAGS.unparse_flags()
    return exit_info.value.code


def test_subprocess_rule_minimum_exits_2_with_one_line():
    result = subprocess.run([sys.executable, "-m", "experiments.run", "--gar=krum", "--n=10", "--f=4",
                             "--data_dir=/nonexistent"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: krum needs n >= 11 for f=4, got n=10"]


@pytest.mark.parametrize("argv, message", [
    (["--n=3", "--f=4"], "error: f must be <= n, got n=3, f=4"),
    (["--f=-1"], "error: f must be >= 0, got f=-1"),
    (["--dataset=imagenet"], "error: unknown dataset 'imagenet'"),
    (["--gar=nope"], "error: unknown aggregation rule 'nope'"),
    (["--attack=nope"], "error: unknown attack 'nope'"),
    (["--gar_options=norm"], "error: --gar_options takes key=value, got 'norm'"),
    (["--steps=0"], "error: steps must be >= 1, got 0"),
    (["--lr0=inf"], "error: lr0 must be a finite number, got inf"),
    (["--lr0=nan"], "error: lr0 must be a finite number, got nan"),
    (["--lr_decay=inf"], "error: lr_decay must be a finite number, got inf"),
    (["--seed=-1"], "error: seed must be in [0, 2**32), got -1"),
    (["--n=5", "--attack=lp"], "error: attack lp needs Byzantine workers, got f=0"),
    (["--data_dir=/nonexistent"], "error: data_dir '/nonexistent' is not a folder"),
    (["--data_source=raw"], "error: data_source=raw reads the standard files of a data_dir"),
    (["--n=-3", "--f=0"], "error: n must be >= 1, got n=-3"),
    (["--run_name=.."], "error: run_name must be one plain folder name (no '/', not '.' or '..'), got '..'"),
    (["--run_name=../x"], "error: run_name must be one plain folder name (no '/', not '.' or '..'), got '../x'"),
    (["--run_name=a/b"], "error: run_name must be one plain folder name"),
    (["--run_name=" + "r" * 300], "error: run_name must be at most 255 bytes"),
    (["--batch_size=1000000000"], "error: batch_size must be at most the 60,000 training images of mnist"),
    (["--dataset=cifar10", "--batch_size=50001"], "error: batch_size must be at most the 50,000 training images"),
    (["--lr0=1e300"], "error: lr0 must be at most 3.403e+38 (float32's largest value), got 1e+300"),
    (["--l2=1e39"], "error: l2 must be at most 3.403e+38"),
    (["--strategy=mirrored", "--replicas=1000", "--n=5"],
     "error: replicas must be at most the 5 honest workers that compute gradients (n - f), got replicas=1000"),
    (["--results_dir=/proc/bulyan"], "error: /proc is not writable"),
])
def test_impossible_settings_exit_2(argv, message, capsys, tmp_path):
    cli.FLAGS(["run", f"--results_dir={tmp_path}"] + argv)
    try:
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["run"])
    finally:
        cli.FLAGS.unparse_flags()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(message)
    assert not os.listdir(tmp_path)  # nothing trained or written


def test_options_parse_to_int_float_and_strings():
    assert command_line.parse_options(["norm=inf", "budget=16", "sigma=0.5", "mode=x=y"], "gar_options") == {
        "norm": "inf", "budget": 16, "sigma": 0.5, "mode": "x=y"}
    assert command_line.parse_options([], "attack_options") == {}


@pytest.mark.parametrize("argv, word", [
    (["--gar=krum", "--n=57", "--f=27", "--gar_options=nosuchoption=1"], "nosuchoption"),
    (["--n=5", "--f=1", "--attack=gaussian", "--attack_options=nosuchoption=2"], "nosuchoption"),
])
def test_bad_rule_or_attack_options_exit_2_before_loading(argv, word, capsys, tmp_path):
    cli.FLAGS(["run", f"--results_dir={tmp_path}", "--data_dir=/nonexistent"] + argv)
    try:
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["run"])
    finally:
        cli.FLAGS.unparse_flags()
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_info.value.code == 2 and len(err) == 1 and err[0].startswith("error:") and word in err[0]


def test_flags_live_on_the_command_s_own_flag_values():
    """Not on absl's global FLAGS, where other commands imported in the same process define --seed, ..."""
    from absl import flags

    assert cli.FLAGS is not flags.FLAGS and "seed" in cli.FLAGS and "n" in cli.FLAGS
    assert not any(name in flags.FLAGS for name in ("gar", "attack_options", "keep_diverged"))


@pytest.mark.parametrize("help_flag", ["--help", "--helpfull"])
def test_help_lists_the_flags(help_flag):
    result = subprocess.run([sys.executable, "-m", "experiments.run", help_flag], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0
    for flag in ("--attack_stop", "--gar_options", "--l2", "--[no]keep_diverged"):
        assert flag in result.stdout


@pytest.mark.parametrize("argv, message", [
    (["--step=3"], "error: unknown flag --step; did you mean --steps?"),
    (["--steps=abc"], "error: flag --steps=abc: invalid literal for int() with base 10: 'abc'"),
    (["--lr0=fast"], "error: flag --lr0=fast: could not convert string to float: 'fast'"),
])
def test_flag_typos_exit_2_with_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        command_line.parser(cli.FLAGS, cli.__doc__)(["run"] + argv)
    cli.FLAGS.unparse_flags()
    assert exit_info.value.code == 2 and capsys.readouterr().err.splitlines() == [message]


def test_a_results_dir_that_is_a_file_exits_2(capsys, tmp_path):
    (tmp_path / "file").write_text("")
    assert _main([f"--results_dir={tmp_path / 'file'}"]) == 2
    assert re.fullmatch(f"error: {tmp_path / 'file'} is a file, not a folder: .*\n", capsys.readouterr().err)


@pytest.mark.skipif(SHARED_DATA is None, reason="../shared/data absent")
def test_errors_raised_in_the_run_exit_2_with_one_line(capsys, tmp_path):
    """A run folder holding other settings, fewer steps than done, then no readable checkpoint."""
    common = [f"--results_dir={tmp_path}", "--run_name=r", f"--data_dir={SHARED_DATA}", "--n=2", "--batch_size=4",
              "--eval_examples=10", "--eval_every=2", "--checkpoint_every=1"]
    cli.FLAGS(["run"] + common + ["--steps=2"])
    try:
        cli.main(["run"])  # trains 2 steps
    finally:
        cli.FLAGS.unparse_flags()
    capsys.readouterr()
    for argv, message in ((["--steps=2", "--lr0=0.5"], f"error: {tmp_path / 'r'} holds a run with lr0=1.0, not 0.5; "
                                                       "choose another run_name"),
                          (["--steps=1"], f"error: {tmp_path / 'r'} has already done 2 steps, more than steps=1")):
        assert _main(common + argv) == 2
        assert capsys.readouterr().err.splitlines() == [message]
    for name in os.listdir(tmp_path / "r" / "checkpoints"):
        if name.endswith(".index"):
            open(tmp_path / "r" / "checkpoints" / name, "w").close()
    assert _main(common + ["--steps=3"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("W")]  # the warnings
    assert len(errors) == 1 and errors[0].startswith(f"error: no readable checkpoint in {tmp_path / 'r'}")


@pytest.mark.skipif(SHARED_DATA is None, reason="../shared/data absent")
def test_a_normal_run_prints_progress_and_its_result_without_info_logs(tmp_path):
    result = subprocess.run([sys.executable, "-m", "experiments.run", f"--results_dir={tmp_path}", "--n=2",
                             "--batch_size=4", "--steps=2", "--checkpoint_every=1", "--eval_examples=10",
                             f"--data_dir={SHARED_DATA}"], cwd=REPO, capture_output=True, text=True, timeout=300,
                            env={key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"})
    assert result.returncode == 0, result.stderr
    assert re.search(r"\] step 2/2 .*\n.*: final test accuracy .* after 2 steps\n$", result.stdout)
    assert result.stderr == ""  # no INFO line from TensorFlow or absl (e.g. "Sharding callback duration")
