"""Figure 3 of the paper (section 5.2.1): CIFAR-10: accuracy on the testing set up to epoch 1000, under our attack (never stopped).

    python -m experiments.figure3 --preset=quick --data_dir=../shared/data

The settings are in experiments/paper/settings.py, the presets in experiments/paper/presets.py, the paper's
claims checked at the end in experiments/paper/claims.py; the command in experiments/paper/figure_command.py.
"""

from training import command_line

command_line.import_tensorflow_quietly()  # before the rules import TensorFlow: no INFO banners on stderr

from experiments.paper import figure_command  # noqa: E402

FLAGS = figure_command.figure_flags()

if __name__ == "__main__":
    command_line.run(figure_command.main_for(3, FLAGS), FLAGS, __doc__)
