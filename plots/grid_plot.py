"""Draws the robustness grid's heatmap from its data (it never trains nor reads runs).

Rows x attack columns, each cell coloured by its median final test accuracy over the seeds and the value
written in it (percent), and, set apart on the right, the worst-case column (the minimum over the row's
attack cells); the rows come sorted by it, best first. Cells without a value are light grey with their
text ("missing", "unfinished", or blank when the grid does not hold them). "PARTIAL" in red in the title
when cells are missing or unfinished. The caller computes everything drawn
(`experiments.grid.table.heatmap_data`); this module only lays it out. PNG, at most about 200 KB.
"""

import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

COLOURS = "RdYlGn"  # red: low accuracy, green: high; the value is written in every cell
EMPTY = "#e6e6e6"
CELL = (0.95, 0.36)  # inches per cell (width, height)
GAP = 0.22  # inches between the attack cells and the worst-case column
FONT = 8.5
CHAR = 0.072  # inches per character of a label, about (DejaVu Sans at FONT + 0.5 points)
LABEL_ANGLE = 30  # degrees: the column labels, written upwards from their column


def _text_colour(rgba):
    """Black on light cells, white on dark ones (relative luminance)."""
    red, green, blue = rgba[:3]
    return "black" if 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.45 else "white"


def _draw(ax, values, texts, cmap, fontsize):
    """One block of cells: colours, the value written in each, white lines between the cells."""
    ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if texts[i][j]:
                colour = "dimgray" if np.isnan(values[i, j]) else _text_colour(cmap(values[i, j]))
                ax.text(j, i, texts[i][j], ha="center", va="center", fontsize=fontsize, color=colour)
    ax.set_xticks(np.arange(values.shape[1] + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(values.shape[0] + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labeltop=True)
    for spine in ax.spines.values():
        spine.set_visible(False)


def _column_labels(ax, labels, **style):
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=LABEL_ANGLE, ha="left", va="bottom", rotation_mode="anchor", **style)


def plot_grid(data, path, dpi=100):
    """Writes the heatmap of `data` (`HeatmapData`: title, footer, row_labels, column_labels, values
    [rows, columns] in [0, 1] or NaN, texts, worst [rows], worst_texts, partial) to `path` (PNG); returns it.
    The layout is set in inches from the labels' lengths, so every cell keeps its size."""
    rows, columns = data.values.shape
    cmap = matplotlib.colormaps[COLOURS].with_extremes(bad=EMPTY)
    longest_row = max((len(label) for label in data.row_labels), default=4)
    longest_column = max((len(label) for label in data.column_labels + ("worst case",)), default=4)
    slope = np.sin(np.radians(LABEL_ANGLE)), np.cos(np.radians(LABEL_ANGLE))
    left = 0.3 + 1.08 * CHAR * longest_row
    top = 0.55 + CHAR * longest_column * slope[0] + 0.1
    right = 0.25 + CHAR * len("worst case") * slope[1]
    bottom = 0.55
    width = left + CELL[0] * columns + GAP + CELL[0] + right
    height = top + CELL[1] * rows + bottom
    fig = plt.figure(figsize=(width, height))
    grid_ax = fig.add_axes([left / width, bottom / height, CELL[0] * columns / width, CELL[1] * rows / height])
    worst_ax = fig.add_axes([(left + CELL[0] * columns + GAP) / width, bottom / height, CELL[0] / width,
                             CELL[1] * rows / height])
    _draw(grid_ax, data.values, data.texts, cmap, FONT)
    _draw(worst_ax, data.worst.reshape(rows, 1), [[text] for text in data.worst_texts], cmap, FONT)
    grid_ax.set_yticks(range(rows))
    grid_ax.set_yticklabels(data.row_labels, fontsize=FONT + 0.5)
    worst_ax.set_yticks([])
    _column_labels(grid_ax, data.column_labels, fontsize=FONT + 0.5)
    _column_labels(worst_ax, ["worst case"], fontsize=FONT + 0.5, fontweight="bold")
    fig.text(0.1 / width, 1 - 0.12 / height, data.title, fontsize=FONT + 2, va="top",
             color="firebrick" if data.partial else "black", fontweight="bold" if data.partial else "normal")
    footer = textwrap.fill(data.footer, width=int((width - 0.2) / (CHAR * 0.85)))
    fig.text(0.1 / width, 0.08 / height, footer, fontsize=FONT - 1.5, color="dimgray", va="bottom")
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
