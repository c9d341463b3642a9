"""Draws one of the paper's figures from saved run metrics (it never trains).

Accuracy on the test set against the step (the paper's "epoch"), one line per aggregation rule with the
paper's legend (the curves' labels; styles by curve id, `plots.styles`), a dotted vertical line where the
attack stops (Figures 2 and 7); for Figure 6, accuracy at the last step against the batch size. With
several seeds a line is the median over the seeds and a shaded band spans their min and max; with one seed
it is the run's own curve. A run whose training loss became non-finite is marked with an x where it
diverged and named in the legend ("diverged at step t"; `training.run_folder.diverged_at`); its single-seed
curve stops there. The preset, the seeds and, when runs are missing, "PARTIAL" are written on the plot.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from plots import styles  # noqa: E402
from training.run_folder import diverged_at  # noqa: E402


def evaluated(metrics):
    """(steps, accuracy) at the run's evaluation steps."""
    accuracy = np.asarray(metrics["accuracy"], dtype=float)
    keep = ~np.isnan(accuracy)
    return np.asarray(metrics["step"])[keep], accuracy[keep]


def over_seeds(curves):
    """[(x, y)] of several seeds -> (x, median, min, max) on the x values every seed has."""
    common = sorted(set.intersection(*(set(np.asarray(x).tolist()) for x, _ in curves)))
    table = np.array([[dict(zip(np.asarray(x).tolist(), y))[step] for step in common] for x, y in curves])
    return np.array(common), np.median(table, axis=0), table.min(axis=0), table.max(axis=0)


def _diverged_label(label, steps):
    """The legend entry of a curve, naming its diverged seeds ([step or None per seed])."""
    bad = [s for s in steps if s is not None]
    if not bad:
        return label
    if len(steps) == 1:
        return f"{label} (diverged at step {bad[0]})"
    return f"{label} (diverged in {len(bad)} of {len(steps)} seeds, from step {min(bad)})"


def _step_panel(ax, panel, runs):
    for curve in panel.curves:
        by_seed = runs.get((panel.id, curve.id))
        if not by_seed:
            continue
        style = styles.style(curve.id)
        diverged = [diverged_at(m) for m in by_seed.values()]
        label = _diverged_label(curve.label, diverged)
        if len(by_seed) == 1:
            steps, accuracy = evaluated(next(iter(by_seed.values())))
            stop = diverged[0]
            if stop is not None:  # a NaN model's accuracy is not a curve: stop at the divergence
                keep = steps < stop
                steps, accuracy = steps[keep], accuracy[keep]
            ax.plot(steps, accuracy, label=label, linewidth=1.4, **style)
            if stop is not None and steps.size:
                ax.plot([steps[-1]], [accuracy[-1]], marker="x", markersize=9, color=style.get("color"))
            continue
        steps, middle, low, high = over_seeds([evaluated(m) for m in by_seed.values()])
        ax.plot(steps, middle, label=label, linewidth=1.4, **style)
        ax.fill_between(steps, low, high, alpha=0.18, color=style.get("color"), linewidth=0)
        for stop in (s for s in diverged if s is not None):
            ax.plot([stop], [np.interp(stop, steps, middle)], marker="x", markersize=8, color=style.get("color"))
    if panel.attack_stop is not None:
        ax.axvline(panel.attack_stop, color="gray", linestyle=":", linewidth=1.2, label="attack stops")
    ax.set_xlabel("Epoch (step)")
    ax.set_xlim(0, None)


def _batch_panel(ax, panel, runs):
    for curve in panel.curves:
        points = sorted((key[2], by_seed) for key, by_seed in runs.items()
                        if len(key) == 3 and key[:2] == (panel.id, curve.id) and by_seed)
        if not points:
            continue
        sizes = [size for size, _ in points]
        finals = [[evaluated(m)[1][-1] for m in by_seed.values()] for _, by_seed in points]
        diverged = [diverged_at(m) for _, by_seed in points for m in by_seed.values()]
        style = styles.style(curve.id)
        ax.plot(sizes, [np.median(f) for f in finals], marker="o", label=_diverged_label(curve.label, diverged),
                **style)
        if any(len(f) > 1 for f in finals):
            ax.fill_between(sizes, [min(f) for f in finals], [max(f) for f in finals], alpha=0.18,
                            color=style.get("color"), linewidth=0)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("Batch size (images per worker); accuracy at the last step")


def plot_figure(figure, runs, panel_lines, steps, seeds, out_base, partial=False, formats=("png", "pdf")):
    """Writes `out_base`.png (and .pdf) and returns their paths.

    `figure` is the figure's settings (panels and curves with an id and a display label); `runs` maps a run
    key (panel id, curve id[, batch]) to {seed: metrics}; `panel_lines` describes each panel's
    preset; `steps` is the number of steps the runs were asked for (in the title); `partial` writes
    PARTIAL on the plot (some runs missing or unfinished).
    """
    panels = figure.panels
    fig, axes = plt.subplots(1, len(panels), figsize=(6.4 * len(panels), 4.6), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        (_batch_panel if panel.x == "batch_size" else _step_panel)(ax, panel, runs)
        ax.set_ylim(0, 1)
        ax.set_ylabel("Accuracy (test set)")
        ax.set_title(panel.label)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="lower right", fontsize=8)
    title = f"Figure {figure.number}: " + figure.caption.format(steps=steps)
    if partial:
        title = "PARTIAL (runs missing or unfinished) - " + title
    fig.suptitle(title, fontsize=9, wrap=True, color="firebrick" if partial else "black")
    seeds_text = f"seed {seeds[0]}" if len(seeds) == 1 else \
        f"{len(seeds)} seeds ({', '.join(map(str, seeds))}): median, band = min to max"
    fig.text(0.01, 0.01, " | ".join(list(dict.fromkeys(panel_lines)) + [seeds_text]), fontsize=7,
             color="dimgray")
    fig.tight_layout(rect=(0, 0.04, 1, 0.93))
    paths = [f"{out_base}.{ext}" for ext in formats]
    for path in paths:
        fig.savefig(path, dpi=110 if path.endswith(".png") else 130)
    plt.close(fig)
    return paths
