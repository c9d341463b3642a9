"""Figure 6 of the paper (section 5.2.3): Accuracy on the testing set at epoch 250 for Average and Bulyan, n = 39 workers, no adversary, f declared to 9: the cost of Bulyan against the batch size.

    python -m experiments.figure6 --preset=quick --data_dir=../shared/data

The settings are in experiments/figures.py, the presets in experiments/presets.py, the paper's claims
checked at the end in experiments/claims.py.
"""

from absl import flags

from experiments import figure

flags.adopt_module_key_flags(figure)  # --help lists the figure flags

if __name__ == "__main__":
    figure.main_for(6)
