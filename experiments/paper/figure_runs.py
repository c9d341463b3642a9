"""A figure's runs: planned from its settings, a preset and seeds, then trained (paper, section 5.2).

Each (curve, seed) pair is one run (Figure 6: one per batch size too), keyed by (panel id, curve id[,
batch]). Finished runs on disk are reused (and unfinished ones resume from their checkpoints), so a
figure can be interrupted and rerun, and runs shared between figures (the same settings) are trained
once: each run's folder name is derived from all of its settings (`training.RunConfig.resolved_run_name`),
never from an id or a label.
"""

import dataclasses
import os

from experiments.paper import presets
from training import run_folder, run_queue
from training.command_line import parse_seeds  # noqa: F401 (the seed parser of the figures' commands)
from training.config import RunConfig


@dataclasses.dataclass(frozen=True)
class PlannedRun:
    key: tuple  # (panel id, curve id) or (panel id, curve id, batch size)
    seed: int
    config: RunConfig
    label: str  # display only: "MNIST / Average" (Figure 6: "CIFAR-10 / Bulyan / 36")

    @property
    def run_dir(self):
        return run_folder.path(self.config)

    def status(self):
        """"finished" (a run stopped once diverged included), "unfinished" (metrics on disk, not all
        steps) or "missing" (`training.run_folder.state`)."""
        return run_folder.state(self.run_dir, self.config.steps).status

    def describe(self):
        return f"{self.label}, seed {self.seed} ({self.run_dir})"


def unique_runs(*plans):
    """The planned runs of several plans, each run folder once (a run shared by figures is trained once),
    in order."""
    unique = {}
    for planned in plans:
        for run in planned:
            unique.setdefault(run.run_dir, run)
    return list(unique.values())


def run_config(base, panel, curve, preset, seed):
    """The RunConfig of `curve` of `panel` under `preset`: `base` (where runs go, the data, the strategy)
    with the settings the panel, the curve (its workers and batch scaled by the preset) and the preset
    give, and `seed`. Every other field keeps `base`'s value (RunConfig's default)."""
    scaled = preset.curve(curve)
    return dataclasses.replace(base, **panel.run_fields(curve), **scaled.run_fields(), **preset.run_fields(panel),
                               seed=seed)


def plan(figure, preset_name, results_dir, data_dir=None, seeds=(1,), dataset_seeds=None, **run_options):
    """The runs of `figure` under a preset, seed by seed: a list of PlannedRun, and one description line
    per panel. `dataset_seeds` ({dataset: seeds}) gives some datasets' panels other seeds than `seeds`.
    `run_options` are further RunConfig fields given to every run: its strategy and replicas, which do not
    change a run, or a precision other than float32, which does (the description lines then say so)."""
    planned, lines = [], []
    dataset_seeds = dataset_seeds or {}
    every_seed = sorted(set(seeds).union(*dataset_seeds.values()))
    base = RunConfig(data_dir=data_dir, results_dir=os.path.join(results_dir, preset_name), **run_options)
    for panel in figure.panels:
        preset = presets.get(preset_name, panel.dataset)
        panel_seeds = dataset_seeds.get(panel.dataset, seeds)
        shown = "" if list(panel_seeds) == every_seed else f", seeds {', '.join(map(str, panel_seeds))}"
        precision = "" if base.precision == "float32" else f", {base.precision} worker gradients (not the paper's)"
        lines.append(f"{panel.label}: {preset.describe(panel)}{shown}{precision}")
    for seed in every_seed:
        for panel in figure.panels:
            if seed not in dataset_seeds.get(panel.dataset, seeds):
                continue
            preset = presets.get(preset_name, panel.dataset)
            batches = preset.batch_sweep(panel) if panel.x == "batch_size" else (None,)
            for curve in panel.curves:
                for batch in batches:
                    sized = curve if batch is None else dataclasses.replace(curve, batch_size=batch)
                    key = (panel.id, curve.id) + (() if batch is None else (batch,))
                    planned.append(PlannedRun(key, seed, run_config(base, panel, sized, preset, seed),
                                              f"{panel.label} / {figure.label(key)}"))
    return planned, lines


def check_all(planned):
    """Validates every planned run before any trains, after creating their tf.distribute strategy
    (`training.run_queue.check_all`)."""
    run_queue.check_all(run.config for run in planned)


def train(planned, label):
    """Trains (or reuses, or resumes) every planned run, after checking them all."""
    import training

    check_all(planned)
    for i, run in enumerate(planned, 1):
        print(f"[{label}] run {i}/{len(planned)}: {run.describe()}", flush=True)
        training.run(run.config, validated=True)


def steps_text(planned):
    """The number of steps the planned runs take ("1000", or "75 / 60" when the panels differ)."""
    return " / ".join(dict.fromkeys(str(run.config.steps) for run in planned))


def training_minutes(planned):
    """The training time of the planned runs, summed from their metrics (each run counted once)."""
    seconds = 0.0
    for run_dir in dict.fromkeys(run.run_dir for run in planned if run.status() != "missing"):
        seconds += run_folder.time_trained(run_dir)[1]
    return seconds / 60
