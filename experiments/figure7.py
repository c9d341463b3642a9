"""Figure 7 of the paper (section C.1): MNIST: accuracy on the testing set up to epoch 1000 under the attack for l_inf-based rules, maintained only up to epoch 50 (dotted line).

    python -m experiments.figure7 --preset=quick --data_dir=../shared/data

The settings are in experiments/figures.py, the presets in experiments/presets.py, the paper's claims
checked at the end in experiments/claims.py.
"""

from absl import flags

from experiments import figure

flags.adopt_module_key_flags(figure)  # --help lists the figure flags

if __name__ == "__main__":
    figure.main_for(7)
