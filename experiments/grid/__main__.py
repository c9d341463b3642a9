"""`python -m experiments.grid`: the robustness grid (see experiments/grid/command.py, whose description
`--help` prints)."""

from training import command_line

command_line.import_tensorflow_quietly()  # before the rules import TensorFlow: no INFO banners on stderr

from experiments.grid import command  # noqa: E402

if __name__ == "__main__":
    command_line.run(command.main, command.FLAGS, command.__doc__)
