"""Figure 7 of the paper (section C.1): MNIST: accuracy on the testing set up to epoch 1000 under the attack for l_inf-based rules, maintained only up to epoch 50 (dotted line).

    python -m experiments.figure7 --preset=quick --data_dir=../shared/data

The settings are in experiments/paper/settings.py, the presets in experiments/paper/presets.py, the paper's
claims checked at the end in experiments/paper/claims.py; the command in experiments/paper/figure_command.py.
"""

from training import command_line

command_line.import_tensorflow_quietly()  # before the rules import TensorFlow: no INFO banners on stderr

from experiments.paper import figure_command  # noqa: E402

FLAGS = figure_command.figure_flags()

if __name__ == "__main__":
    command_line.run(figure_command.main_for(7, FLAGS), FLAGS, __doc__)
