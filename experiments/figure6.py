"""Figure 6 of the paper (section 5.2.3): Accuracy on the testing set at epoch 250 for Average and Bulyan, n = 39 workers, no adversary, f declared to 9: the cost of Bulyan against the batch size.

    python -m experiments.figure6 --preset=quick --data_dir=../shared/data

The settings are in experiments/paper/settings.py, the presets in experiments/paper/presets.py, the paper's
claims checked at the end in experiments/paper/claims.py; the command in experiments/paper/figure_command.py.
"""

from training import command_line

command_line.import_tensorflow_quietly()  # before the rules import TensorFlow: no INFO banners on stderr

from experiments.paper import figure_command  # noqa: E402

FLAGS = figure_command.figure_flags()

if __name__ == "__main__":
    command_line.run(figure_command.main_for(6, FLAGS), FLAGS, __doc__)
