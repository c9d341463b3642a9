"""gamma_m during training against appendix B's closed form at the measured spread (Figures 2 and 4).

    python -m experiments.gamma_trace --preset=paper --seeds=1-10 --data_dir=../shared/data
    python -m experiments.gamma_trace --preset=quick --seeds=1 --data_dir=../shared/data

Appendix B.3 approximates the largest gamma Krum (q = 2) and GeoMed (q = 1) still select, for the `lp`
attack at p = 2 and b = 0, as gamma_m ~ (r^(2/q) - 1/2)^(1/2) sqrt(d) delta_bar, r = (f + 1) / 2 at
n = 2f + 3 (`experiments.leeway.theory.paper`; at Figure 4's n = 39, f = 9 the same argument gives
r = (n - f - 2) / (n - 2f - 1)), delta_bar the honest gradients' spread of B.1: the mean over pairs
i != j of (1 / d) sum_k |v_k^(i) - v_k^(j)|. This study runs Figure 2's and Figure 4's attacked Krum and
GeoMed runs with the `lp` option log_spread=1, which logs each step's delta_bar beside gamma_m (new run
folders, the same trajectories: logging changes no number), and divides each step's gamma_m by the closed
form at that step's delta_bar. Per (figure, panel, rule) and window of steps (Figure 2: the attack window;
Figure 4: every step, then each half), over the seeds and the steps: the ratio's median [min, max], the
median gamma_m and delta_bar, the share of steps where B was selected. The leeway study
(docs/reproduction/leeway.md) measures the same ratio on fixed gradients. Writes
`<out_dir>/gamma_trace.md` (`<out_dir>/<preset>/` for a preset other than paper).
"""

import dataclasses
import os

import numpy as np
from absl import flags

import models
from experiments.leeway import theory
from experiments.paper import figure_command, figure_runs, render, settings
from training import command_line, run_folder
from training.config import model_name

FIGURES = (2, 4)
RULES = ("krum", "geomed")
P = "2"  # Figures 2 and 4 run the rules with the l2 norm

FLAGS = flags.FlagValues()
figure_command.define_figure_flags(FLAGS, {"preset": "paper"})
flags.DEFINE_list("figures", [str(number) for number in FIGURES], "Figures to trace, among 2 and 4.",
                  flag_values=FLAGS)
flags.DEFINE_string("out_dir", os.path.join("docs", "reproduction"), "The table goes to "
                    "<out_dir>/gamma_trace.md for the paper preset, <out_dir>/<preset>/ for another.",
                    flag_values=FLAGS)


def traced(config):
    """`config` with the lp option log_spread=1: a new run folder, the same trajectory, delta_bar logged."""
    return dataclasses.replace(config, attack_options={**config.attack_options, "log_spread": 1})


def plan(numbers, preset, seeds, results_dir, data_dir=None, **run_options):
    """({figure: the traced runs of its attacked Krum and GeoMed curves}, the plans' description lines)
    (`figure_runs.plan`)."""
    plans, lines = {}, []
    for number in numbers:
        planned, described = figure_runs.plan(settings.get(number), preset, results_dir, data_dir, seeds,
                                              **run_options)
        plans[number] = [dataclasses.replace(run, config=traced(run.config)) for run in planned
                         if run.key[1] in RULES and run.config.attack == "lp"]
        lines += [f"Figure {number}, {line}" for line in described]
    return plans, lines


@dataclasses.dataclass(frozen=True)
class Window:
    label: str
    first: int  # steps first..last (metrics row s is the state after step s, whose attack ran at t = s - 1)
    last: int
    whole: bool  # every attacked step (not a half)


def windows(config):
    """The attack window when it stops (Figure 2), else every step and each half (Figure 4)."""
    if config.attack_stop is not None:
        first, last = config.attack_start + 1, min(config.attack_stop, config.steps)
        return [Window(f"attack window, {first}-{last}", first, last, True)]
    half = config.steps // 2
    return [Window(f"all, 1-{config.steps}", 1, config.steps, True),
            Window(f"first half, 1-{half}", 1, half, False),
            Window(f"second half, {half + 1}-{config.steps}", half + 1, config.steps, False)]


def step_ratios(metrics, rule, d, n, f):
    """Per attacked step of a run's metrics (a logged gamma and delta_bar): {step, gamma, delta_bar,
    closed, ratio, selected}, closed being appendix B's gamma_m at that delta_bar
    (`theory.paper(rule, "2", d, f, delta_bar, n)`) and ratio = gamma / closed (NaN where closed is 0, or
    infinite: no bound for n <= 2f + 1)."""
    gamma, delta_bar = np.asarray(metrics["gamma"], float), np.asarray(metrics["delta_bar"], float)
    rows = np.isfinite(gamma) & np.isfinite(delta_bar)
    closed = np.array([theory.paper(rule, P, d, f, value, n) for value in delta_bar[rows]], float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((closed > 0) & np.isfinite(closed), gamma[rows] / closed, np.nan)
    selected = np.asarray(metrics.get("selected", np.full_like(gamma, np.nan)), float)[rows]
    return {"step": np.asarray(metrics["step"], float)[rows], "gamma": gamma[rows], "delta_bar": delta_bar[rows],
            "closed": closed, "ratio": ratio, "selected": selected}


def summarise(traces, first, last):
    """Over the traces' steps first..last: {steps, ratio (median, min, max), gamma, delta_bar (medians),
    selected (share)}; None when no step is there."""
    pooled = {name: np.concatenate([trace[name][(trace["step"] >= first) & (trace["step"] <= last)]
                                    for trace in traces] or [np.array([])])
              for name in ("ratio", "gamma", "delta_bar", "selected")}
    ratio = pooled["ratio"][np.isfinite(pooled["ratio"])]
    if ratio.size == 0:
        return None
    selected = pooled["selected"][np.isfinite(pooled["selected"])]
    return {"steps": int(ratio.size), "ratio": (float(np.median(ratio)), float(ratio.min()), float(ratio.max())),
            "gamma": float(np.median(pooled["gamma"])), "delta_bar": float(np.median(pooled["delta_bar"])),
            "selected": float(selected.mean()) if selected.size else np.nan}


@dataclasses.dataclass(frozen=True)
class Row:
    figure: int
    panel: str  # its label
    rule: str  # the curve's label
    n: int
    f: int
    d: int
    window: Window
    seeds: tuple  # of the finished runs
    summary: dict  # `summarise`, None without a traced step


def rows_of(plans):
    """One Row per (figure, panel, rule, window), over the finished runs' seeds."""
    rows = []
    for number, planned in plans.items():
        figure = settings.get(number)
        traces, seeds = {}, {}
        for run in planned:
            if run.status() == "finished":
                config = run.config
                d = models.parameter_count(model_name(config))
                traces.setdefault(run.key, []).append(
                    step_ratios(run_folder.read_metrics(run.run_dir), config.gar, d, config.n, config.f))
                seeds.setdefault(run.key, []).append(run.seed)
        for run in planned:
            if run.seed != planned[0].seed:
                continue
            config = run.config
            d = models.parameter_count(model_name(config))
            for window in windows(config):
                rows.append(Row(number, figure.panel(run.key[0]).label, figure.label(run.key), config.n, config.f,
                                d, window, tuple(sorted(seeds.get(run.key, []))),
                                summarise(traces.get(run.key, []), window.first, window.last)))
    return rows


def _times(value):
    return f"{value:.3g}x"


def reading(rows):
    """One or two sentences on what the ratio says, from the rows' numbers (each row's whole window)."""
    whole = [row for row in rows if row.window.whole and row.summary is not None]
    if not whole:
        return "No attacked step was traced: nothing to read."
    medians = [row.summary["ratio"][0] for row in whole]
    low, high = whole[int(np.argmin(medians))], whole[int(np.argmax(medians))]
    middle = float(np.median(medians))
    text = (f"gamma_m is {_times(middle)} appendix B's closed form at the measured spread (the median of the "
            f"{len(whole)} rows' medians over every attacked step, "
            f"{sum(row.summary['steps'] for row in whole):,} steps in all), from {_times(min(medians))} "
            f"(Figure {low.figure}, {low.panel}, {low.rule}) to {_times(max(medians))} (Figure {high.figure}, "
            f"{high.panel}, {high.rule}).")
    above = sum(value > 1 for value in medians)
    if above == len(medians):
        return text + " In every row the attack finds a larger gamma_m than appendix B predicts from the honest " \
                      "gradients' spread."
    if above == 0:
        return text + " In every row the attack finds a smaller gamma_m than appendix B predicts from the honest " \
                      "gradients' spread."
    return text + (f" The attack finds a larger gamma_m than appendix B predicts in {above} of the {len(medians)} "
                   f"rows, a smaller one in the others.")


def table(rows):
    lines = ["| figure | panel | rule | n, f | d | steps | seeds | steps traced | gamma_m / closed form, median "
             "[min, max] | median gamma_m | median delta_bar | B selected |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        head = (f"| {row.figure} | {row.panel} | {row.rule} | {row.n}, {row.f} | {row.d:,} | {row.window.label} | "
                f"{', '.join(map(str, row.seeds)) or '-'} |")
        summary = row.summary
        if summary is None:
            lines.append(head + " 0 | - | - | - | - |")
            continue
        middle, low, high = summary["ratio"]
        selected = "-" if np.isnan(summary["selected"]) else f"{100 * summary['selected']:.0f}%"
        lines.append(head + f" {summary['steps']:,} | {middle:.3g} [{low:.3g}, {high:.3g}] | {summary['gamma']:.3g} | "
                            f"{summary['delta_bar']:.3g} | {selected} |")
    return lines


def run_study(numbers, preset, seeds, results_dir, out_dir, data_dir=None, plot_only=False, **run_options):
    """Trains (unless `plot_only`) the traced runs, writes the table; returns its path. ValueError when no
    traced run is finished."""
    plans, described = plan(numbers, preset, seeds, results_dir, data_dir, **run_options)
    every_run = figure_runs.unique_runs(*plans.values())
    if not plot_only:
        figure_runs.train(every_run, "gamma trace")
    if not any(run.status() == "finished" for run in every_run):
        raise ValueError(f"no finished traced run in {os.path.join(results_dir, preset)}")
    rows = rows_of(plans)
    minutes = figure_runs.training_minutes(every_run)
    command = command_line.as_typed("experiments.gamma_trace")
    lines = ["# gamma_m during training against appendix B's closed form", "",
             f"Written by `{command}`; {'; '.join(described)}. Seeds: {', '.join(map(str, seeds))}; each row "
             f"pools the steps of its window over the seeds of its finished runs. Training time of every run "
             f"below, summed: {minutes:.1f} min.", "",
             "Figures " + " and ".join(map(str, numbers)) + "'s attacked Krum and GeoMed runs (`lp`, p = 2), with "
             "the attack option log_spread=1: new run folders with the figures' trajectories (logging changes "
             "no number), which log each step's delta_bar beside gamma_m. Closed form: appendix B.3 at b = 0, "
             "(r^(2/q) - 1/2)^(1/2) sqrt(d) delta_bar, q = 2 for Krum, 1 for GeoMed, r = (n - f - 2) / "
             "(n - 2f - 1) ((f + 1) / 2 at the appendix's n = 2f + 3), `experiments/leeway/theory.py`. delta_bar "
             "is B.1's: the mean over honest pairs and coordinates of |v_k^(i) - v_k^(j)|, not ||V_i - V_j||_2 / "
             "sqrt(d), which B.1 approximates by it and which is sqrt(pi / 2) = 1.25 times larger for Gaussian "
             "gaps (cause 1 in docs/reproduction/leeway.md), and larger still when the coordinates' scales are "
             "unequal, as the MNIST gradients' are (cause 2 there): either makes gamma_m exceed the closed form. "
             "The leeway study measures the same ratio on fixed gradients at n = 2f + 3. B selected: the share "
             "of steps where the search found a gamma_m > 0 (else gamma_m = 0, ratio 0). A row without a traced "
             "step: no finished run, or n <= 2f + 1 (GeoMed under the micro preset), where the closed form has "
             "no bound.",
             "", reading(rows), ""]
    lines += table(rows) + [""]
    return render.write_markdown(out_dir, preset, "gamma_trace.md", lines)


def parse_figures(values):
    """The figure numbers of --figures, each 2 or 4; ValueError otherwise."""
    numbers = []
    for value in values:
        if value.strip() not in {str(number) for number in FIGURES}:
            raise ValueError(f"--figures: {value!r} is not a traced figure; figures: "
                             f"{', '.join(map(str, FIGURES))}")
        numbers.append(int(value))
    return list(dict.fromkeys(numbers))


def main(argv):
    del argv  # no positional arguments (`command_line.run`)
    try:
        run_study(parse_figures(FLAGS.figures), FLAGS.preset, figure_command.seeds_of(FLAGS), FLAGS.results_dir,
                  FLAGS.out_dir, FLAGS.data_dir, FLAGS.plot_only, **figure_command.run_options(FLAGS))
    except ValueError as error:
        command_line.fail(str(error))
