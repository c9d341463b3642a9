"""Every command follows `training.command_line`: --help exits 0, a mistyped flag prints one line and exits 2;
the run's flags are RunConfig's fields, one for one."""

import dataclasses
import importlib.util
import os
import subprocess
import sys

import pytest
from absl import flags

from experiments import launch_local
from experiments import run as run_command
from training import command_line
from training.config import RunConfig

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# command -> (its argv prefix, a mistyped flag, the start of the one line it prints)
COMMANDS = {
    "run": (["-m", "experiments.run"], "--step=3", "error: unknown flag --step; did you mean --steps?"),
    "launch_local": (["-m", "experiments.launch_local"], "--worker=2",
                     "error: unknown flag --worker; did you mean --workers?"),
    "native.build": (["-m", "native.build"], "--outptu=x", "error: unknown flag --outptu; did you mean --output?"),
    "bench_aggregators": (["benchmarks/bench_aggregators.py"], "--d=79510,x",
                          "error: flag --d=79510,x: expected comma-separated integers"),
    "bench_attacks": (["benchmarks/bench_attacks.py"], "--repeats=3",
                      "error: unknown flag --repeats; did you mean --repeat?"),
    "bench_distributed": (["benchmarks/bench_distributed.py"], "--skip_cifra",
                          "error: unknown flag --skip_cifra; did you mean --skip_cifar?"),
    "bench_native": (["benchmarks/bench_native.py"], "--crossover=maybe", "error: flag --crossover=maybe:"),
    "bench_training": (["benchmarks/bench_training.py"], "--repeat=3",
                       "error: unknown flag --repeat; did you mean --repeats?"),
}


def _start(argv):
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}  # TF's default
    return subprocess.Popen([sys.executable] + argv, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


# Commands checked in their own process: those that import TensorFlow lazily (cheap), and one benchmark,
# which imports it at once (its stderr must hold no INFO banner); the other benchmarks parse in this process.
IN_A_PROCESS = ("run", "launch_local", "native.build", "bench_native")


def _load_benchmark(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(REPO, "benchmarks", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(set(COMMANDS) - set(IN_A_PROCESS)))
def test_a_benchmark_s_help_exits_0_and_a_mistyped_flag_prints_one_line_and_exits_2(name, capsys):
    module = _load_benchmark(name)
    parse = command_line.parser(module.FLAGS, module.__doc__)
    _, mistyped, message = COMMANDS[name]
    for argv, code in (([name, "--help"], 0), ([name, mistyped], 2)):
        with pytest.raises(SystemExit) as exit_info:
            parse(argv)
        module.FLAGS.unparse_flags()
        assert exit_info.value.code == code
    out, err = capsys.readouterr()
    assert "flags:" in out and err.splitlines()[0].startswith(message) and len(err.splitlines()) == 1, err


@pytest.mark.parametrize("name", IN_A_PROCESS)
def test_help_exits_0_and_a_mistyped_flag_prints_one_line_and_exits_2(name):
    prefix, mistyped, message = COMMANDS[name]
    helped, failed = _start(prefix + ["--help"]), _start(prefix + [mistyped])  # side by side: TensorFlow imports
    help_out, help_err = helped.communicate(timeout=300)
    _, failed_err = failed.communicate(timeout=300)
    assert helped.returncode == 0 and "flags:" in help_out and "--" in help_out
    assert help_err == "", help_err  # importing TensorFlow printed no INFO banner
    errors = [line for line in failed_err.splitlines() if line.startswith("error")]
    assert failed.returncode == 2 and len(errors) == 1 and errors[0].startswith(message), failed_err


def test_every_run_config_field_has_its_flag_and_every_run_flag_a_field():
    assert set(run_command.FLAGS) == {field.name for field in dataclasses.fields(RunConfig)}


def test_a_bool_field_becomes_a_bool_flag():
    flag_values = flags.FlagValues()
    command_line.define_run_flags(flag_values, ["keep_diverged", "steps"])
    flag_values(["run", "--keep_diverged", "--steps=7"])
    assert command_line.config_from_flags(flag_values, ["keep_diverged", "steps"]) == RunConfig(
        keep_diverged=True, steps=7)
    flag_values.unparse_flags()
    flag_values(["run", "--nokeep_diverged"])
    assert flag_values.keep_diverged is False


def test_an_integer_list_flag_takes_comma_separated_integers(capsys):
    flag_values = flags.FlagValues()
    command_line.define_integer_list("d", [79510, 1756426], "sizes", flag_values)
    flag_values(["bench"])
    assert flag_values.d == [79510, 1756426]
    flag_values.unparse_flags()
    command_line.parser(flag_values, "doc")(["bench", "--d=1,2"])
    assert flag_values.d == [1, 2]
    flag_values.unparse_flags()
    with pytest.raises(SystemExit) as exit_info:
        command_line.parser(flag_values, "doc")(["bench", "--d=1,two"])
    flag_values.unparse_flags()
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "error: flag --d=1,two: expected comma-separated integers, got '1,two'\n"


def test_the_arguments_after_a_double_dash_are_the_launcher_s_run_flags(capsys):
    parse = command_line.parser(launch_local.FLAGS, launch_local.__doc__)
    try:
        argv = parse(["launch_local", "--workers=2", "--", "--help", "--n=3"])
        assert argv == ["launch_local", "--help", "--n=3"] and launch_local.FLAGS.workers == 2
    finally:
        launch_local.FLAGS.unparse_flags()
    assert capsys.readouterr().out == ""  # a --help after "--" is the workers', not the launcher's


def test_native_build_parses_its_flags_without_the_training_layer():
    code = ("import sys\n"
            "from native import build\n"
            "assert build._parse(['build', '--output=/tmp/x.so', '--compiler=c++']) == ('/tmp/x.so', 'c++')\n"
            "print(sorted(name for name in sys.modules if name.split('.')[0] in ('training', 'tensorflow')))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"


def test_a_seed_list_longer_than_the_cap_is_one_line_and_exit_2(capsys):
    with pytest.raises(ValueError, match=r"--seeds names more than 1000 seeds \('1-1000000'\)"):
        command_line.parse_seeds("1-1000000")
    with pytest.raises(ValueError, match="more than 1000 seeds"):
        command_line.parse_seeds(["1-600", "700-1300"])  # each part under the cap, together over it
    assert command_line.parse_seeds("1-1000")[-1] == 1000


def _run_main_raising(error, capsys):
    """`command_line.run` of a main that raises `error`: (exit code, stderr lines)."""
    def main(argv):
        raise error

    saved = sys.argv
    sys.argv = ["command"]
    try:
        with pytest.raises(SystemExit) as exit_info:
            command_line.run(main, flags.FlagValues(), "doc")
    finally:
        sys.argv = saved
    return exit_info.value.code, capsys.readouterr().err.splitlines()


def test_ctrl_c_prints_one_line_and_exits_130(capsys):
    from training.errors import Interrupted

    code, err = _run_main_raising(Interrupted("[r] interrupted at step 7; rerun the same command to resume"), capsys)
    assert (code, err) == (130, ["[r] interrupted at step 7; rerun the same command to resume"])
    code, err = _run_main_raising(KeyboardInterrupt(), capsys)  # outside a run's steps
    assert code == 130 and len(err) == 1 and err[0].startswith("interrupted")


def test_tensorflow_retracing_warnings_are_dropped(caplog):
    import tensorflow as tf

    command_line.import_tensorflow_quietly()

    @tf.function
    def double(x):
        return 2 * x

    with caplog.at_level("WARNING"):
        for size in range(1, 9):  # a new shape each call: retraced 8 times
            double(tf.zeros([size]))
    assert "retracing" not in caplog.text


def test_docs_training_names_every_run_flag():
    with open(os.path.join(REPO, "docs", "training.md"), encoding="utf-8") as file:
        text = file.read()
    assert [field.name for field in dataclasses.fields(RunConfig) if f"`--{field.name}" not in text] == []
