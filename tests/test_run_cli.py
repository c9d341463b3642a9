"""`python -m experiments.run`: impossible settings exit 2 with one clear line, before any data loads."""

import os
import subprocess
import sys

import pytest

from experiments import run as cli

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
    assert cli.parse_options(["norm=inf", "budget=16", "sigma=0.5", "mode=x=y"], "gar_options") == {
        "norm": "inf", "budget": 16, "sigma": 0.5, "mode": "x=y"}
    assert cli.parse_options([], "attack_options") == {}


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


def test_flags_do_not_clash_with_the_figure_scripts():
    import experiments.figure  # noqa: F401  (defines --seed, --data_dir, ... on absl's global FLAGS)

    assert "seed" in cli.FLAGS and "n" in cli.FLAGS


def test_help_lists_the_flags():
    result = subprocess.run([sys.executable, "-m", "experiments.run", "--help"], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and "--attack_stop" in result.stdout and "--gar_options" in result.stdout
