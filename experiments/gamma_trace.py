"""`python -m experiments.gamma_trace`: Figures 2 and 4's gamma_m during training against appendix B's closed
form at the measured spread (see experiments/paper/gamma_trace.py, whose description `--help` prints)."""

from training import command_line

command_line.import_tensorflow_quietly()  # before the rules import TensorFlow: no INFO banners on stderr

from experiments.paper import gamma_trace  # noqa: E402

if __name__ == "__main__":
    command_line.run(gamma_trace.main, gamma_trace.FLAGS, gamma_trace.__doc__)
