"""Runs one of the paper's figures: all its curves under a preset and seeds, then the plot and the claims.

    python -m experiments.figure2 --preset=quick --data_dir=../shared/data
    python -m experiments.figure2 --preset=paper --seeds=1,2,3,4,5 --data_dir=../shared/data
    python -m experiments.figure2 --preset=quick --plot_only      # re-plot from saved results

Each (curve, seed) pair is one run. Finished runs on disk are reused (and unfinished ones resume from their
checkpoints), so a figure can be interrupted and rerun, and runs shared between figures (the same
settings) are trained once: each run's folder name is derived from all of its settings
(`training.RunConfig.resolved_run_name`). `--plot_only` never trains: it refuses (exit 2, naming the
runs) when a run is missing or unfinished, unless `--allow_partial` is given, and then the plot and the
claims table say PARTIAL on their face. A figure with no run on disk at all is never drawn, so a
mistyped --results_dir cannot overwrite a good plot with an empty one.
"""

import dataclasses
import json
import os
import sys

from absl import app, flags

from experiments import logs

logs.import_tensorflow_quietly()  # before the rules import TensorFlow: no INFO banners on stderr

from experiments import claims, figures, presets  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_enum("preset", "quick", list(presets.PRESETS), "paper: exact settings; quick: short CPU runs; "
                  "micro: a few steps for tests.")
flags.DEFINE_string("results_dir", "results", "Runs go to <results_dir>/<preset>/<run>.")
flags.DEFINE_string("out_dir", "figures", "Plots and claims go to <out_dir>/<preset>/figureN.{png,pdf} "
                    "and figureN_claims.md.")
flags.DEFINE_string("data_dir", None, "Folder with mnist/ and cifar10/ in their standard formats (offline); "
                    "None: TFDS.")
flags.DEFINE_integer("seed", 1, "Seed of every run of the figure (the one-seed form of --seeds).")
flags.DEFINE_list("seeds", None, "Seeds, e.g. 1,2,3 or 1-5: one run per (curve, seed); the plot draws the "
                  "median and the min-max band, the claims are checked on every seed. Overrides --seed.")
flags.DEFINE_bool("plot_only", False, "Only re-plot and re-check from the runs saved on disk.")
flags.DEFINE_enum("strategy", "none", ["none", "mirrored", "multi_worker"], "Where each run's worker gradients "
                  "are computed: this process, --replicas local devices, or the TF_CONFIG cluster "
                  "(training.strategies); the results are the same.")
flags.DEFINE_integer("replicas", None, "With --strategy=mirrored: the local GPUs or logical CPUs to use.")
flags.DEFINE_bool("allow_partial", False, "With --plot_only: plot even when runs are missing or unfinished "
                  "(the plot and the table then say PARTIAL).")


class FigureError(ValueError):
    """A figure that cannot be drawn as asked (missing runs, nothing on disk)."""


@dataclasses.dataclass(frozen=True)
class PlannedRun:
    key: tuple  # (panel title, curve label) or (panel title, curve label, batch size)
    seed: int
    config: object  # training.RunConfig

    @property
    def run_dir(self):
        return os.path.join(self.config.results_dir, self.config.resolved_run_name())

    def status(self):
        """"finished", "unfinished" (metrics on disk, not all steps) or "missing"."""
        try:
            with open(os.path.join(self.run_dir, "config.json")) as file:
                saved = json.load(file)
        except (OSError, ValueError):
            saved = None
        if saved and saved.get("finished") and saved.get("steps") == self.config.steps:
            return "finished"
        return "unfinished" if os.path.exists(os.path.join(self.run_dir, "metrics.csv")) else "missing"

    def describe(self):
        return f"{' / '.join(map(str, self.key))}, seed {self.seed} ({self.run_dir})"


def parse_seeds(values, default=1, flag="--seeds"):
    """['1', '2'], ['1-5'] (from a list flag) or '1-3,7' -> sorted unique ints. None or nothing -> [default]
    (default None: ValueError, a seed is required). ValueError naming `flag` and the bad part, or an empty
    range such as 3-1."""
    parts = str(values).split(",") if isinstance(values, str) else [str(v) for v in values or []]
    seeds = set()
    for part in filter(None, (p.strip() for p in parts)):
        low, dash, high = part.partition("-")
        try:
            found = range(int(low), int(high) + 1) if dash and low else [int(part)]
        except ValueError:
            raise ValueError(f"{flag} takes integers or ranges such as 1,2,3 or 1-5, got {part!r}") from None
        if not found:
            raise ValueError(f"{flag} range {part!r} is empty")
        seeds.update(found)
    if not seeds:
        if default is None:
            raise ValueError(f"{flag} names no seed: {values!r}")
        seeds = {default}
    if min(seeds) < 0:
        raise ValueError(f"seeds must be >= 0, got {min(seeds)}")
    return sorted(seeds)


def unique_runs(*plans):
    """The planned runs of several plans, each run folder once (a run shared by figures is trained once),
    in order."""
    unique = {}
    for planned in plans:
        for run in planned:
            unique.setdefault(run.run_dir, run)
    return list(unique.values())


def plan(figure, preset_name, results_dir, data_dir=None, seeds=(1,), dataset_seeds=None, **run_options):
    """The runs of `figure` under a preset, seed by seed: a list of PlannedRun, and one description line
    per panel. `dataset_seeds` ({dataset: seeds}) gives some datasets' panels other seeds than `seeds`.
    `run_options` are further RunConfig fields that do not change a run (e.g. its strategy)."""
    import training

    planned, lines = [], []
    dataset_seeds = dataset_seeds or {}
    every_seed = sorted(set(seeds).union(*dataset_seeds.values()))
    for panel in figure.panels:
        preset = presets.get(preset_name, panel.dataset)
        panel_seeds = dataset_seeds.get(panel.dataset, seeds)
        shown = "" if list(panel_seeds) == every_seed else f", seeds {', '.join(map(str, panel_seeds))}"
        lines.append(f"{panel.title}: {preset.describe(panel)}{shown}")
    for seed in every_seed:
        for panel in figure.panels:
            if seed not in dataset_seeds.get(panel.dataset, seeds):
                continue
            preset = presets.get(preset_name, panel.dataset)
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
                        attack_options=dict(panel.attack_options) if attack != "none" else {},
                        seed=seed, data_dir=data_dir, results_dir=os.path.join(results_dir, preset_name),
                        **run_options)
                    key = (panel.title, curve.label) if batch is None else (panel.title, curve.label, batch)
                    planned.append(PlannedRun(key, seed, config))
    return planned, lines


def train(planned, label):
    """Trains (or reuses, or resumes) every planned run, after checking them all."""
    import training

    for run in planned:  # every setting is checked before any training starts
        training.validate(run.config)
    for i, run in enumerate(planned, 1):
        print(f"[{label}] run {i}/{len(planned)}: {run.describe()}", flush=True)
        training.run(run.config)


def steps_text(planned):
    """The number of steps the planned runs take ("1000", or "75 / 60" when the panels differ)."""
    return " / ".join(dict.fromkeys(str(run.config.steps) for run in planned))


def training_minutes(planned):
    """The training time of the planned runs, summed from their metrics (each run counted once)."""
    import training

    seconds = 0.0
    for run_dir in dict.fromkeys(run.run_dir for run in planned if run.status() != "missing"):
        wall = training.read_metrics(run_dir)["wall_time"]
        seconds += float(wall[-1]) if len(wall) else 0.0
    return seconds / 60


def render(number, planned, lines, out_base, allow_partial=False, formats=("png", "pdf")):
    """Plots Figure `number` from the planned runs on disk and writes its claims table.

    Raises FigureError naming the runs that are missing or unfinished (unless `allow_partial`), or when
    no run is on disk at all (nothing is written then). Returns (paths, table text, claims rows)."""
    import training
    from plots import plot_figure

    figure = figures.get(number)
    status = [run.status() for run in planned]
    incomplete = [(run, state) for run, state in zip(planned, status) if state != "finished"]
    if incomplete and not allow_partial:
        names = "; ".join(f"{run.describe()}: {state}" for run, state in incomplete[:5])
        more = f" (and {len(incomplete) - 5} more)" if len(incomplete) > 5 else ""
        raise FigureError(f"Figure {number}: {len(incomplete)} of {len(planned)} runs are missing or unfinished: "
                          f"{names}{more}; train them, or pass --allow_partial to plot what there is")
    runs, finished = {}, {}
    for run, state in zip(planned, status):
        if state == "missing":
            continue
        metrics = training.read_metrics(run.run_dir)
        if not len(metrics["step"]):  # started, nothing on disk yet
            continue
        runs.setdefault(run.key, {})[run.seed] = metrics
        if state == "finished":
            finished.setdefault(run.seed, {})[run.key] = metrics
    if not runs:
        raise FigureError(f"Figure {number}: no run on disk under {planned[0].config.results_dir}; nothing to "
                          "plot (check --results_dir and --preset)")
    seeds = sorted({run.seed for run in planned})
    partial = bool(incomplete)
    steps = steps_text(planned)
    os.makedirs(os.path.dirname(out_base) or ".", exist_ok=True)
    paths = plot_figure(figure, runs, lines, steps, seeds, out_base, partial=partial, formats=formats)
    results = {seed: claims.Results(finished.get(seed, {}), {run.key for run in planned if run.seed == seed})
               for seed in seeds}
    rows, table = claims.evaluate(number, results, "; ".join(lines), partial=partial)
    with open(out_base + "_claims.md", "w") as out:
        out.write(table)
    return paths + [out_base + "_claims.md"], table, rows


def run_figure(number, preset_name="quick", results_dir="results", out_dir="figures", data_dir=None,
               seeds=(1,), plot_only=False, allow_partial=False, **run_options):
    """Trains (or reuses) every run of Figure `number` for every seed, plots it, checks the claims.
    Returns the paths written (PNG, PDF, claims table)."""
    figure = figures.get(number)
    planned, lines = plan(figure, preset_name, results_dir, data_dir, list(seeds), **run_options)
    if not plot_only:
        train(planned, f"figure {number}")
    paths, table, _ = render(number, planned, lines, os.path.join(out_dir, preset_name, f"figure{number}"),
                          allow_partial=allow_partial)
    print(table)
    print(f"Training time of this figure's runs: {training_minutes(planned):.1f} min (summed over runs).")
    print("wrote " + ", ".join(paths))
    return paths


def strategy_options():
    """The --strategy and --replicas flags as RunConfig fields."""
    return {"strategy": FLAGS.strategy, "replicas": FLAGS.replicas}


def main_for(number):
    """The entry point of `python -m experiments.figureN`."""

    def main(argv):
        if len(argv) > 1:
            raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
        try:
            seeds = parse_seeds(FLAGS.seeds, FLAGS.seed)
            run_figure(number, FLAGS.preset, FLAGS.results_dir, FLAGS.out_dir, FLAGS.data_dir, seeds,
                       FLAGS.plot_only, FLAGS.allow_partial, **strategy_options())
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            sys.exit(2)

    app.run(main)
