"""Command-line entry points: `python -m experiments.run` (one run), `python -m experiments.figureN`."""
