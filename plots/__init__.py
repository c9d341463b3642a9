"""Plots of the paper's figures, drawn from saved results only."""

from plots.figure_plot import plot_figure

__all__ = ["plot_figure"]
