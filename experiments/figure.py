"""Runs one of the paper's figures: all its curves under a preset, then the plot and the claims table.

    python -m experiments.figure2 --preset=quick --data_dir=../shared/data
    python -m experiments.figure2 --preset=quick --plot_only      # re-plot from saved results

Finished runs on disk are reused (and unfinished ones resume from their checkpoints), so a figure can be
interrupted and rerun, and runs shared between figures (the same settings) are trained once: each run's
folder name is derived from all of its settings (`training.RunConfig.resolved_run_name`).
"""

import dataclasses
import os
import sys
import time

from absl import app, flags

from experiments import claims, figures, presets

FLAGS = flags.FLAGS
flags.DEFINE_enum("preset", "quick", list(presets.PRESETS), "paper: exact settings; quick: short CPU runs; "
                  "micro: a few steps for tests.")
flags.DEFINE_string("results_dir", "results", "Runs go to <results_dir>/<preset>/<run>.")
flags.DEFINE_string("out_dir", "figures", "Plots and claims go to <out_dir>/<preset>/figureN.{png,pdf} "
                    "and figureN_claims.md.")
flags.DEFINE_string("data_dir", None, "Folder with mnist/ and cifar10/ in their standard formats (offline); "
                    "None: TFDS.")
flags.DEFINE_integer("seed", 1, "Seed of every run of the figure.")
flags.DEFINE_bool("plot_only", False, "Only re-plot and re-check from the runs saved on disk.")


@dataclasses.dataclass(frozen=True)
class PlannedRun:
    key: tuple  # (panel title, curve label) or (panel title, curve label, batch size)
    config: object  # training.RunConfig


def plan(figure, preset_name, results_dir, data_dir=None, seed=1):
    """The runs of `figure` under a preset: a list of PlannedRun, and one description line per panel."""
    import training

    planned, lines = [], []
    for panel in figure.panels:
        preset = presets.get(preset_name, panel.dataset)
        lines.append(f"{panel.title}: {preset.describe(panel)}")
        steps = preset.steps_for(panel)
        batches = preset.batch_sweep(panel) if panel.x == "batch_size" else (None,)
        for curve in panel.curves:
            for batch in batches:
                scaled = preset.curve(curve if batch is None else dataclasses.replace(curve, batch_size=batch))
                attack = panel.attack if curve.attacked else "none"
                config = training.RunConfig(
                    dataset=panel.dataset, gar=scaled.gar, gar_options=dict(scaled.gar_options),
                    n=scaled.n, f=scaled.byzantine, batch_size=scaled.batch_size,
                    lr0=panel.lr0, lr_decay=panel.lr_decay, steps=steps,
                    eval_every=preset.eval_every, eval_examples=preset.eval_examples,
                    attack=attack, attack_stop=panel.attack_stop if attack != "none" else None,
                    seed=seed, data_dir=data_dir, results_dir=os.path.join(results_dir, preset_name),
                )
                key = (panel.title, curve.label) if batch is None else (panel.title, curve.label, batch)
                planned.append(PlannedRun(key, config))
    return planned, lines


def run_figure(number, preset_name="quick", results_dir="results", out_dir="figures", data_dir=None,
               seed=1, plot_only=False):
    """Trains (or reuses) every run of Figure `number`, plots it, checks the claims. Returns the paths."""
    import training
    from plots import plot_figure

    figure = figures.get(number)
    planned, lines = plan(figure, preset_name, results_dir, data_dir, seed)
    if not plot_only:
        for run in planned:  # every setting is checked before any training starts
            training.validate(run.config)
    start = time.time()
    metrics = {}
    for i, run in enumerate(planned, 1):
        run_dir = os.path.join(run.config.results_dir, run.config.resolved_run_name())
        if not plot_only:
            print(f"[figure {number}] run {i}/{len(planned)}: {' / '.join(map(str, run.key))} "
                  f"({run_dir})", flush=True)
            run_dir = training.run(run.config)
        if os.path.exists(os.path.join(run_dir, "metrics.csv")):
            metrics[run.key] = training.read_metrics(run_dir)
    elapsed = time.time() - start
    target = os.path.join(out_dir, preset_name)
    os.makedirs(target, exist_ok=True)
    base = os.path.join(target, f"figure{number}")
    paths = plot_figure(figure, metrics, lines, base)
    _, table = claims.evaluate(number, claims.Results(metrics), "; ".join(lines))
    if not plot_only:
        table += f"\nTraining time for this figure: {elapsed / 60:.1f} min (runs reused from disk cost nothing).\n"
    with open(base + "_claims.md", "w") as out:
        out.write(table)
    print(table)
    print("wrote " + ", ".join(paths + [base + "_claims.md"]))
    return paths + [base + "_claims.md"]


def main_for(number):
    """The entry point of `python -m experiments.figureN`."""

    def main(argv):
        if len(argv) > 1:
            raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
        try:
            run_figure(number, FLAGS.preset, FLAGS.results_dir, FLAGS.out_dir, FLAGS.data_dir, FLAGS.seed,
                       FLAGS.plot_only)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            sys.exit(2)

    app.run(main)
