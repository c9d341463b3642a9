"""`python -m experiments.reproduce`: every run of the paper's figures, then the report (see
experiments/paper/reproduce.py, whose description `--help` prints)."""

from training import command_line

command_line.import_tensorflow_quietly()  # before the rules import TensorFlow: no INFO banners on stderr

from experiments.paper import reproduce  # noqa: E402

if __name__ == "__main__":
    command_line.run(reproduce.main, reproduce.FLAGS, reproduce.__doc__)
