"""Figure 2 over seeds (experiments/paper/figure2_seeds.py): a feature of each run against its final
accuracy, and the runs' accuracy curves. Draws from measured rows and saved metrics only; each row names
its curve by id ("curve", which picks the style) and by label ("rule", the legend)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from plots.styles import colour  # noqa: E402

MARKERS = {"krum": "o", "geomed": "s", "brute": "^"}  # by curve id


def _labels(rows):
    """{curve id: label} of the rows, in order."""
    return dict((row["curve"], row["rule"]) for row in rows)


def _scatter(ax, rows, feature, feature_label, threshold, threshold_label, recovered_accuracy):
    for curve, label in _labels(rows).items():
        mine = [row for row in rows if row["curve"] == curve]
        color = colour(curve)
        for recovered in (True, False):
            picked = [row for row in mine if row["recovered"] == recovered]
            if picked:
                ax.scatter([row[feature] for row in picked], [row["final_accuracy"] for row in picked],
                           marker=MARKERS.get(curve, "o"), s=40, edgecolors=color,
                           facecolors=color if recovered else "none",
                           label=f"{label}, {'recovered' if recovered else 'stayed'}")
        for row in mine:
            ax.annotate(str(row["seed"]), (row[feature], row["final_accuracy"]), fontsize=6,
                        xytext=(3, 3), textcoords="offset points", color=color)
    if threshold is not None:
        ax.axvline(threshold, color="gray", linestyle="--", linewidth=1, label=threshold_label)
    if recovered_accuracy is not None:
        ax.axhline(recovered_accuracy, color="gray", linestyle=":", linewidth=1)
    ax.set_xlabel(feature_label)
    ax.set_ylabel("final test accuracy")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, loc="best")


def _restarts(ax, restarts, recovered_accuracy):
    for i, (title, curve, original, results) in enumerate(restarts):
        color = colour(curve)
        ax.scatter([i] * len(results), [accuracy for _, accuracy, _ in results], marker="o", s=30,
                   facecolors="none", edgecolors=color, label="restarts" if i == 0 else None)
        ax.scatter([i], [original], marker="*", s=110, color=color, label="the run" if i == 0 else None)
    ax.set_xticks(range(len(restarts)), [title for title, *_ in restarts], fontsize=7, rotation=20)
    if recovered_accuracy is not None:
        ax.axhline(recovered_accuracy, color="gray", linestyle=":", linewidth=1)
    ax.set_xlim(-0.5, len(restarts) - 0.5)
    ax.set_ylim(0, 1)
    ax.set_ylabel("final test accuracy")
    ax.set_title("same step-50 state, other mini-batches after it", fontsize=8)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")


def plot_seeds(rows, panels, curves, out_path, recovered_accuracy=None, attack_stop=None, title="",
               restarts=()):
    """Writes `out_path` (PNG). One scatter per `panels` item (feature key, axis label, split threshold or
    None, its legend) of that feature of each row against its final accuracy (filled marker: recovered),
    then the accuracy curves `curves` {(seed, curve id): (steps, accuracy)}, solid when the run recovered,
    then (if any) the final accuracies of `restarts` [(title, curve id, the run's final accuracy,
    [(seed, accuracy, _)])]."""
    count = len(panels) + 1 + bool(restarts)
    fig, axes = plt.subplots(1, count, figsize=(5.0 * count, 4.3), squeeze=False)
    for ax, (feature, label, threshold, threshold_label) in zip(axes[0], panels):
        _scatter(ax, rows, feature, label, threshold, threshold_label, recovered_accuracy)
    if restarts:
        _restarts(axes[0][-1], restarts, recovered_accuracy)
    right = axes[0][len(panels)]
    for (seed, curve), (steps, accuracy) in sorted(curves.items()):
        recovered = next((row["recovered"] for row in rows if row["seed"] == seed and row["curve"] == curve), True)
        right.plot(steps, accuracy, linewidth=0.9, alpha=0.8, color=colour(curve),
                   linestyle="-" if recovered else ":")
    if attack_stop is not None:
        right.axvline(attack_stop, color="gray", linestyle=":", linewidth=1)
    labels = _labels(rows)
    handles = [plt.Line2D([], [], color=colour(curve), label=labels.get(curve, curve))
               for curve in dict.fromkeys(curve for _, curve in curves)]
    right.legend(handles=handles, fontsize=7, loc="lower right")
    right.set_xlabel("step (solid: recovered, dotted: stayed)")
    right.set_ylabel("test accuracy")
    right.set_ylim(0, 1)
    right.grid(alpha=0.3)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out_path, dpi=90)
    plt.close(fig)
    return out_path


def evaluated_curve(metrics):
    """(steps, accuracy) at the evaluated steps of a run's metrics."""
    accuracy = np.asarray(metrics["accuracy"], float)
    keep = ~np.isnan(accuracy)
    return np.asarray(metrics["step"])[keep], accuracy[keep]
