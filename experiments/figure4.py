"""Figure 4 of the paper (section 5.2.2): MNIST: accuracy on the testing set up to 500 epochs for Krum, GeoMed, Bulyan (A = Krum); the impact of the learning rate (section 3.1).

    python -m experiments.figure4 --preset=quick --data_dir=../shared/data

The settings are in experiments/figures.py, the presets in experiments/presets.py, the paper's claims
checked at the end in experiments/claims.py.
"""

from absl import flags

from experiments import figure

flags.adopt_module_key_flags(figure)  # --help lists the figure flags

if __name__ == "__main__":
    figure.main_for(4)
