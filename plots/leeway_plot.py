"""Plots of the leeway study (appendix B, section 4). They only draw: every value (the measured points
and their predictions, the fitted slopes, appendix B's curves, Bulyan's summaries) comes from the caller
in a `LeewayPlotData` (experiments/leeway/plot_data.py computes it from the study's saved results).

- leeway_d: gamma_m / delta_bar against d, p = 2 (`lp`) and p = inf (`linf`), Brute / Krum / GeoMed,
  one colour per gradient source, with appendix B's closed form (black dashes) and the
  measured-distance model (dots);
- leeway_ratio: measured / closed form (filled) and measured / model (hollow) against d;
- leeway_f: gamma_m / (d^(1/p) delta_bar) against f, with the closed form;
- leeway_bulyan: Bulyan(Krum)'s and Krum's displacement of the attacked coordinate against gamma / sigma
  with the honest range as a band, and the largest displacement against d beside Krum's gamma_m.
"""

import dataclasses
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402

COLOURS = {"iid": "tab:blue", "hetero": "tab:orange", "mnist-init": "tab:green", "mnist-trained": "tab:red"}
LABELS = {"iid": "N(0, σ²) i.i.d.", "hetero": "N(0, σ_k²), log-normal σ_k", "mnist-init": "MNIST MLP, init",
          "mnist-trained": "MNIST MLP, 100 steps"}
DPI = 90


@dataclasses.dataclass(frozen=True)
class LeewayPlotData:
    """What the leeway plots draw, computed by the caller.

    description: the preset's line, written under every plot;
    rule_names: {rule id: display name}, in the panels' order (one column per rule);
    d_points, f_points: the measurements of the d and f sweeps (dicts with source, rule, p, d, f, gamma_m,
      delta_bar, how; the d points also with "paper" and "model", the predicted gamma_m);
    slopes: {(sweep, source, rule, p): {"slope", "se"}}, the fitted log-log slopes;
    d_theory, f_theory: {(rule, p): (x, y, label)}, appendix B's closed form against d (gamma_m / delta_bar)
      and against f (gamma_m / (d^(1/p) delta_bar));
    ratio_reference: the ratio drawn dotted on the measured / predicted plot (sqrt(pi / 2));
    bulyan: the Bulyan(Krum) curves (gammas, bulyan, krum, honest range, search, per d and draw);
    bulyan_summary: per (d, draw) {"d", "low", "high", "krum_gamma_m", "grid_max", "search"};
    bulyan_extremes: per draw (largest, smallest displacement, honest low, honest high).
    """

    description: str
    rule_names: dict
    d_points: list
    f_points: list
    slopes: dict
    d_theory: dict
    f_theory: dict
    ratio_reference: float
    bulyan: list
    bulyan_summary: list
    bulyan_extremes: list


def _by_x(members, x, value):
    xs = sorted({m[x] for m in members})
    return np.array(xs), np.array([np.median([value(m) for m in members if m[x] == v]) for v in xs])


def _panels(title_rows, rule_names):
    fig, axes = plt.subplots(len(title_rows), len(rule_names), figsize=(13, 3.6 * len(title_rows)), squeeze=False)
    for row, p in enumerate(title_rows):
        for col, (rule, name) in enumerate(rule_names.items()):
            attack = "lp, p = 2" if p == "2" else "linf, norm = ∞"
            workers = "n = 2f+1" if rule == "brute" else "n = 2f+3"
            axes[row][col].set_title(f"{name} ({workers}), {attack}", fontsize=9)
            axes[row][col].grid(alpha=0.3)
    return fig, axes


def _log(ax, y=True):
    """Log axes without minor tick labels (clutter; slow to lay out)."""
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    if y:
        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def _finish(fig, description, title, out_base):
    fig.suptitle(title, fontsize=10)
    fig.text(0.01, 0.005, description, fontsize=6.5, color="dimgray", wrap=True)
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.11, top=0.9, wspace=0.28, hspace=0.38)
    paths = [f"{out_base}.png", f"{out_base}.pdf"]
    for path in paths:
        fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return paths


def _sweep_figure(points, rule_names, x, draw_source, draw_panel, ylabel, title, description, out_base):
    """2 x 3 panels (p = 2, inf; Brute, Krum, GeoMed) of `points` against `x` ("d" or "f"):
    `draw_source(ax, source, colour, members)` per gradient source, `draw_panel(ax, rule, p)` once."""
    fig, axes = _panels(("2", "inf"), rule_names)
    for row, p in enumerate(("2", "inf")):
        for col, rule in enumerate(rule_names):
            ax = axes[row][col]
            for source, colour in COLOURS.items():
                members = [m for m in points if (m["source"], m["rule"], m["p"]) == (source, rule, p)]
                if members:
                    draw_source(ax, source, colour, members)
            draw_panel(ax, rule, p)
            _log(ax)
            ax.set_xlabel(x)
            ax.set_ylabel(ylabel)
            ax.legend(fontsize=6.5, loc="upper left")
    return _finish(fig, description, title, out_base)


def _fit_label(slopes, sweep, source, members, suffix=""):
    fit = slopes[(sweep, source, members[0]["rule"], members[0]["p"])]
    return f"{LABELS[source]}{suffix}: slope {fit['slope']:.3f} ± {fit['se']:.3f}"


def plot_d(data, out_base):
    """gamma_m / delta_bar against d, measured and predicted."""

    def draw_source(ax, source, colour, members):
        ax.scatter([m["d"] for m in members], [m["gamma_m"] / m["delta_bar"] for m in members], s=8,
                   color=colour, alpha=0.5)
        ax.plot(*_by_x(members, "d", lambda m: m["gamma_m"] / m["delta_bar"]), color=colour, linewidth=1.2,
                label=_fit_label(data.slopes, "d", source, members))
        ax.plot(*_by_x(members, "d", lambda m: m["model"] / m["delta_bar"]), color=colour, linestyle=":",
                linewidth=1)

    def draw_panel(ax, rule, p):
        x, y, label = data.d_theory[rule, p]
        ax.plot(x, y, "k--", linewidth=1, label=label)

    return _sweep_figure(data.d_points, data.rule_names, "d", draw_source, draw_panel, "γm / δ̄",
                         "γm against d (dots: the same arguments with the measured distances; f as in the preset)",
                         data.description, out_base)


def plot_ratio(data, out_base):
    """measured / closed form and measured / model against d."""

    def draw_source(ax, source, colour, members):
        ax.plot(*_by_x(members, "d", lambda m: m["gamma_m"] / m["paper"]), "o-", color=colour, markersize=3.5,
                linewidth=1, label=f"{LABELS[source]} / paper")
        ax.plot(*_by_x(members, "d", lambda m: m["gamma_m"] / m["model"]), "o--", color=colour, markersize=3.5,
                markerfacecolor="none", linewidth=0.8, label=f"{LABELS[source]} / model")

    def draw_panel(ax, rule, p):
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.axhline(data.ratio_reference, color="gray", linestyle=":", linewidth=0.8)

    return _sweep_figure(data.d_points, data.rule_names, "d", draw_source, draw_panel,
                         "measured / predicted γm (median)",
                         "Measured γm over appendix B's closed form (filled) and over the measured-distance model "
                         "(hollow); dotted: sqrt(π/2)", data.description, out_base)


def plot_f(data, out_base):
    """gamma_m / (d^(1/p) delta_bar) against f, with the closed form."""
    if not data.f_points:
        return []

    def normalised(m):
        return m["gamma_m"] / ((m["d"] ** 0.5 if m["p"] == "2" else 1.0) * m["delta_bar"])

    def draw_source(ax, source, colour, members):
        ax.scatter([m["f"] for m in members], [normalised(m) for m in members], s=8, color=colour, alpha=0.5)
        closed = [m for m in members if m["how"] == "closed form"]
        if closed:
            ax.scatter([m["f"] for m in closed], [normalised(m) for m in closed], s=30, color=colour, marker="x",
                       label="Brute's closed form (no enumeration)" if source == "iid" else None)
        ax.plot(*_by_x(members, "f", normalised), color=colour, linewidth=1.2,
                label=_fit_label(data.slopes, "f", source, members, f" (d = {members[0]['d']:,})"))

    def draw_panel(ax, rule, p):
        x, y, label = data.f_theory[rule, p]
        ax.plot(x, y, "k--", linewidth=1, label=label)

    return _sweep_figure(data.f_points, data.rule_names, "f", draw_source, draw_panel, "γm / (d^(1/p) δ̄)",
                         "γm against f", data.description, out_base)


def plot_bulyan(data, out_base):
    """Displacement against gamma / sigma at the smallest and largest d; its maximum against d."""
    entries = data.bulyan
    if not entries:
        return []
    fig, grid = plt.subplots(2, 2, figsize=(12, 8.4))
    axes = grid.ravel()
    for ax, d in zip(axes[:2], (min(e["d"] for e in entries), max(e["d"] for e in entries))):
        entry = next(e for e in entries if e["d"] == d)
        x = np.asarray(entry["gammas"]) / entry["sigma"]
        ax.axhspan(entry["honest_low"], entry["honest_high"], color="tab:green", alpha=0.15,
                   label="honest range on the attacked coordinate")
        ax.plot(x, entry["krum"], color="tab:red", linewidth=1, label="Krum (same n and gradients)")
        ax.plot(x, entry["bulyan"], color="tab:purple", linewidth=1.5, label="Bulyan(Krum)")
        ax.plot([entry["search_gamma"] / entry["sigma"]], [entry["search_displacement"]], "k*", markersize=9,
                label="the lp attack's search (16 probes)")
        _log(ax, y=False)
        ax.set_yscale("symlog", linthresh=3.0)
        ax.set_xlabel("γ / σ")
        ax.set_ylabel("output − honest mean, attacked coordinate (σ)")
        ax.set_title(f"d = {d:,}, n = {entry['n']}, f = {entry['f']} (draw 0)", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6.5, loc="upper left")
    rows = data.bulyan_summary
    ax = axes[2]
    ds = sorted({r["d"] for r in rows})

    def median(key):
        return [np.median([r[key] for r in rows if r["d"] == d]) for d in ds]

    ax.fill_between(ds, median("low"), median("high"), color="tab:green", alpha=0.15, label="honest range (median)")
    ax.plot(ds, median("krum_gamma_m"), "s-", color="tab:red", label="Krum's γm (= its displacement)")
    ax.plot(ds, median("grid_max"), "o-", color="tab:purple", label="Bulyan(Krum): largest displacement, grid")
    ax.plot(ds, median("search"), "k*", markersize=8, label="Bulyan(Krum): the lp attack's search")
    _log(ax, y=False)
    ax.set_yscale("symlog", linthresh=3.0)
    ax.set_xlabel("d")
    ax.set_ylabel("displacement of the attacked coordinate (σ)")
    ax.set_title("largest displacement against d (median over draws)", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6.5, loc="upper left")
    ax = axes[3]
    position = sorted((top - low) / (high - low) for top, _, low, high in data.bulyan_extremes)
    ax.plot(np.arange(1, len(position) + 1), position, "o", color="tab:purple", markersize=3.5)
    ax.axhspan(0, 1, color="tab:green", alpha=0.15, label="honest range (0: its minimum, 1: its maximum)")
    ax.axhline(2, color="gray", linestyle=":", linewidth=1, label="the range widened by its width")
    ax.set_xlabel("draw (sorted)")
    ax.set_ylabel("(largest displacement − honest min) / honest range")
    ax.set_title(f"every draw: the largest displacement over the grid (and search), {len(position)} draws", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6.5, loc="upper left")
    return _finish(fig, data.description, "Bulyan(Krum) at n = 4f + 3 under lp: the attacked coordinate",
                   out_base)


def plot_all(data, out_dir):
    """Every plot of the study (a `LeewayPlotData`) into `out_dir`; returns the paths written."""
    paths = []
    for name, plot in (("leeway_d", plot_d), ("leeway_ratio", plot_ratio), ("leeway_f", plot_f),
                       ("leeway_bulyan", plot_bulyan)):
        paths += plot(data, os.path.join(out_dir, name))
    return paths
