"""`python -m experiments.figure3_ablation`: Figure 3's attack on other coordinates and sizes (see
experiments/paper/figure3_ablation.py, whose description `--help` prints)."""

from training import command_line

command_line.import_tensorflow_quietly()  # before the rules import TensorFlow: no INFO banners on stderr

from experiments.paper import figure3_ablation  # noqa: E402

if __name__ == "__main__":
    command_line.run(figure3_ablation.main, figure3_ablation.FLAGS, figure3_ablation.__doc__)
