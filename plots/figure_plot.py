"""Draws one of the paper's figures from saved run metrics (it never trains).

Accuracy on the test set against the step (the paper's "epoch"), one line per aggregation rule with the
paper's legend, a dotted vertical line where the attack stops (Figures 2 and 7); for Figure 6, accuracy at
the last step against the batch size. The preset is written under the plot.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

STYLES = {  # label prefix -> line style, close to the paper's plots
    "Average": dict(color="black", linestyle="-"),
    "Krum": dict(color="tab:red", linestyle="-"),
    "GeoMed": dict(color="tab:blue", linestyle="--"),
    "Brute": dict(color="tab:green", linestyle="-."),
    "Bulyan": dict(color="tab:purple", linestyle="-"),
}


def _style(label):
    for prefix, style in STYLES.items():
        if label.startswith(prefix):
            return style
    return {}


def _evaluated(metrics):
    accuracy = np.asarray(metrics["accuracy"], dtype=float)
    keep = ~np.isnan(accuracy)
    return np.asarray(metrics["step"])[keep], accuracy[keep]


def _step_panel(ax, panel, metrics_by_key):
    for curve in panel.curves:
        metrics = metrics_by_key.get((panel.title, curve.label))
        if metrics is None:
            continue
        steps, accuracy = _evaluated(metrics)
        ax.plot(steps, accuracy, label=curve.label, linewidth=1.4, **_style(curve.label))
    if panel.attack_stop is not None:
        ax.axvline(panel.attack_stop, color="gray", linestyle=":", linewidth=1.2, label="attack stops")
    ax.set_xlabel("Epoch (step)")
    ax.set_xlim(0, None)


def _batch_panel(ax, panel, metrics_by_key):
    for curve in panel.curves:
        points = sorted((key[2], metrics) for key, metrics in metrics_by_key.items()
                        if len(key) == 3 and key[:2] == (panel.title, curve.label))
        if not points:
            continue
        sizes = [size for size, _ in points]
        accuracy = [_evaluated(metrics)[1][-1] for _, metrics in points]
        ax.plot(sizes, accuracy, marker="o", label=curve.label, **_style(curve.label))
    ax.set_xscale("log", base=2)
    ax.set_xlabel("Batch size (images per worker); accuracy at the last step")


def plot_figure(figure, metrics_by_key, preset_lines, out_base):
    """Writes `out_base`.png and .pdf; `metrics_by_key` maps (panel title, label[, batch]) to metrics."""
    panels = figure.panels
    fig, axes = plt.subplots(1, len(panels), figsize=(6.4 * len(panels), 4.6), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        (_batch_panel if panel.x == "batch_size" else _step_panel)(ax, panel, metrics_by_key)
        ax.set_ylim(0, 1)
        ax.set_ylabel("Accuracy (test set)")
        ax.set_title(panel.title)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    fig.suptitle(f"Figure {figure.number}: " + figure.caption, fontsize=9, wrap=True)
    fig.text(0.01, 0.01, " | ".join(dict.fromkeys(preset_lines)), fontsize=7, color="dimgray")
    fig.tight_layout(rect=(0, 0.04, 1, 0.93))
    paths = [f"{out_base}.png", f"{out_base}.pdf"]
    for path in paths:
        fig.savefig(path, dpi=130)
    plt.close(fig)
    return paths
