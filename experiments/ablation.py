"""`python -m experiments.ablation`: a figure's runs with one of our choices changed, the paper's claims
checked side by side (see experiments/paper/ablation.py, whose description `--help` prints)."""

from training import command_line

command_line.import_tensorflow_quietly()  # before the rules import TensorFlow: no INFO banners on stderr

from experiments.paper import ablation  # noqa: E402

if __name__ == "__main__":
    command_line.run(ablation.main, ablation.FLAGS, ablation.__doc__)
