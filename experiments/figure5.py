"""Figure 5 of the paper (section 5.2.2): CIFAR-10: accuracy on the testing set up to 1000 epochs for Krum, GeoMed, Bulyan (A = Krum); the mean of the non-Byzantine gradients is the reference.

    python -m experiments.figure5 --preset=quick --data_dir=../shared/data

The settings are in experiments/figures.py, the presets in experiments/presets.py, the paper's claims
checked at the end in experiments/claims.py.
"""

from absl import flags

from experiments import figure

flags.adopt_module_key_flags(figure)  # --help lists the figure flags

if __name__ == "__main__":
    figure.main_for(5)
