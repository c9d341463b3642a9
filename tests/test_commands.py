"""The commands of experiments/: one convention (`training.command_line`), each on its own FlagValues, so
that importing them all in one process changes no command's flags or defaults."""

import importlib
import os
import subprocess
import sys

import pytest

from training import command_line

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# module -> (where its FLAGS and doc are, {flag: default})
COMMANDS = {
    **{f"experiments.figure{n}": (f"experiments.figure{n}", {
        "preset": "quick", "out_dir": "figures", "results_dir": "results", "seed": 1, "seeds": None,
        "plot_only": False, "allow_partial": False, "data_dir": None, "strategy": "none", "replicas": None})
       for n in range(2, 9)},
    "experiments.reproduce": ("experiments.paper.reproduce", {
        "preset": "paper", "out_dir": os.path.join("docs", "reproduction"), "results_dir": "results", "seed": 1,
        "figures": ["2", "3", "4", "5", "6", "7", "8"], "cifar10_seeds": None, "strategy": "none"}),
    "experiments.figure3_ablation": ("experiments.paper.figure3_ablation", {
        "preset": "quick", "out_dir": os.path.join("docs", "reproduction"), "variants": None, "steps": None,
        "seeds": None, "strategy": "none"}),
    "experiments.figure2_seeds": ("experiments.paper.figure2_seeds", {
        "seeds": "1-10", "results_dir": "results", "work_dir": "/tmp/figure2_seeds", "data_dir": None,
        "out_dir": os.path.join("docs", "reproduction"), "rules": ["krum", "geomed", "brute"],
        "sample_images": 2000, "plot_feature": "live@last", "trace": [], "trace_every": 100, "reseed": [],
        "reseed_seeds": "101-104"}),
    "experiments.gamma_trace": ("experiments.paper.gamma_trace", {
        "preset": "paper", "out_dir": os.path.join("docs", "reproduction"), "results_dir": "results", "seeds": None,
        "figures": ["2", "4"], "plot_only": False, "data_dir": None, "strategy": "none"}),
    "experiments.leeway": ("experiments.leeway.command", {
        "preset": "quick", "exact": False, "out_dir": "figures/leeway", "data_dir": None, "seed": 1,
        "plot_only": False}),
}


def flag_values(command):
    module = importlib.import_module(COMMANDS[command][0])
    return module.FLAGS, module.__doc__


@pytest.fixture(scope="module", autouse=True)
def every_command_imported():
    for command in COMMANDS:  # all of them in one process: none may change another's flags
        importlib.import_module(command if command != "experiments.leeway" else "experiments.leeway.command")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_keeps_its_flags_and_defaults(command):
    flags, _ = flag_values(command)
    for name, default in COMMANDS[command][1].items():
        assert flags[name].default == default, (command, name)


def test_the_figure_commands_have_flag_values_of_their_own():
    figures = [flag_values(f"experiments.figure{n}")[0] for n in range(2, 9)]
    assert len({id(flags) for flags in figures}) == len(figures)
    reproduce, _ = flag_values("experiments.reproduce")
    assert reproduce is not figures[0] and figures[0]["preset"].default == "quick"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_exits_0_with_the_description(command, capsys):
    flags, doc = flag_values(command)
    with pytest.raises(SystemExit) as exit_info:
        command_line.parser(flags, doc)([command, "--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0 and out.startswith(doc.strip()[:40])
    for name in COMMANDS[command][1]:
        assert f"--{name}" in out or f"--[no]{name}" in out, (command, name)


@pytest.mark.parametrize("command, argv, message", [
    ("experiments.figure2", ["--preset=fast"], "error: flag --preset=fast: value should be one of"),
    ("experiments.reproduce", ["--seed=x"], "error: flag --seed=x"),
    ("experiments.leeway", ["--preset=huge"], "error: flag --preset=huge: value should be one of <tiny|quick|full>"),
    ("experiments.figure2_seeds", ["--plot_feature=colour"], "error: flag --plot_feature=colour: value should be"),
    ("experiments.figure3_ablation", ["--stepz=3"], "error: unknown flag --stepz; did you mean --steps?"),
    ("experiments.gamma_trace", ["--preset=fast"], "error: flag --preset=fast: value should be one of"),
])
def test_a_bad_flag_is_one_line_and_exit_2(command, argv, message, capsys):
    flags, doc = flag_values(command)
    try:
        with pytest.raises(SystemExit) as exit_info:
            command_line.parser(flags, doc)([command] + argv)
    finally:
        flags.unparse_flags()
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_info.value.code == 2 and len(err) == 1 and err[0].startswith(message), err


def test_leeway_runs_as_a_package():
    result = subprocess.run([sys.executable, "-m", "experiments.leeway", "--help"], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and "--exact" in result.stdout and "appendix B" in result.stdout
