"""`python -m experiments.figure2_seeds`: Figure 2 over many seeds, what decides a run's outcome (see
experiments/paper/figure2_seeds.py, whose description `--help` prints)."""

from training import command_line

command_line.import_tensorflow_quietly()  # before TensorFlow is imported: no INFO banners on stderr

from experiments.paper import figure2_seeds  # noqa: E402

if __name__ == "__main__":
    command_line.run(figure2_seeds.main, figure2_seeds.FLAGS, figure2_seeds.__doc__)
