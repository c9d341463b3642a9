"""`python -m experiments.figureN`: one of the paper's figures (section 5.2, appendix C.1), all its curves
under a preset and seeds, then the plot and the claims.

    python -m experiments.figure2 --preset=quick --data_dir=../shared/data
    python -m experiments.figure2 --preset=paper --seeds=1,2,3,4,5 --data_dir=../shared/data
    python -m experiments.figure2 --preset=quick --plot_only      # re-plot from saved results

The runs are planned and trained by `figure_runs` (finished runs reused, unfinished ones resumed),
drawn and checked by `render`. `--plot_only` never trains: it refuses (exit 2, naming the runs) when a
run is missing or unfinished, unless `--allow_partial` is given. `define_figure_flags` defines the flags
every figure command shares (the figures, `reproduce`, the Figure 3 ablation), each on its own FlagValues.
"""

import os

from absl import flags

from experiments.paper import figure_runs, presets, render, settings
from training import command_line

RUN_FLAGS = ("data_dir", "strategy", "replicas", "precision")  # RunConfig fields passed through to every run


def define_figure_flags(flag_values, defaults=None):
    """Defines the shared figure flags on `flag_values`: --preset, --results_dir, --seed, --seeds,
    --plot_only, --allow_partial, and the run flags --data_dir, --strategy, --replicas, --precision
    (`training.command_line.define_run_flags`; a non-default precision gives other runs than the paper's). `defaults` ({name: value}) sets this command's defaults."""
    defaults = dict(defaults or {})
    flags.DEFINE_enum("preset", defaults.pop("preset", "quick"), list(presets.PRESETS),
                      "paper: the paper's settings, our choices where it is silent; quick: short CPU runs; micro: "
                      "a few steps for tests.",
                      flag_values=flag_values)
    flags.DEFINE_string("results_dir", defaults.pop("results_dir", "results"),
                        "Runs go to <results_dir>/<preset>/<run>.", flag_values=flag_values)
    flags.DEFINE_integer("seed", defaults.pop("seed", 1), "Seed of every run of the figure (the one-seed form "
                         "of --seeds).", flag_values=flag_values)
    flags.DEFINE_list("seeds", defaults.pop("seeds", None), "Seeds, e.g. 1,2,3 or 1-5: one run per (curve, seed); "
                      "the plot draws the median and the min-max band, the claims are checked on every seed. "
                      "Overrides --seed.", flag_values=flag_values)
    flags.DEFINE_bool("plot_only", defaults.pop("plot_only", False), "Only re-plot and re-check from the runs "
                      "saved on disk.", flag_values=flag_values)
    flags.DEFINE_bool("allow_partial", defaults.pop("allow_partial", False), "With --plot_only: plot even when "
                      "runs are missing or unfinished (the plot and the table then say PARTIAL).",
                      flag_values=flag_values)
    command_line.define_run_flags(flag_values, names=list(RUN_FLAGS),
                                  defaults={name: defaults.pop(name) for name in RUN_FLAGS if name in defaults})
    if defaults:
        raise ValueError(f"no figure flag {sorted(defaults)[0]!r}")


def figure_flags():
    """The flags of `python -m experiments.figureN`, on a FlagValues of their own."""
    flag_values = flags.FlagValues()
    define_figure_flags(flag_values)
    flags.DEFINE_string("out_dir", "figures", "Plots and claims go to <out_dir>/<preset>/figureN.{png,pdf} and "
                        "figureN_claims.md.", flag_values=flag_values)
    return flag_values


def seeds_of(flag_values):
    """The seeds asked for by --seeds, or --seed."""
    return figure_runs.parse_seeds(flag_values["seeds"].value, flag_values["seed"].value)


def run_options(flag_values):
    """{strategy, replicas, precision}: the run flags given to every planned run (the first two do not
    change a run; precision=mixed_bfloat16 does, and its runs have other names)."""
    return command_line.run_options(flag_values, ["strategy", "replicas", "precision"])


def run_figure(number, preset_name="quick", results_dir="results", out_dir="figures", data_dir=None,
               seeds=(1,), plot_only=False, allow_partial=False, **run_options):
    """Trains (or reuses) every run of Figure `number` for every seed, plots it, checks the claims.
    Returns the paths written (PNG, PDF, claims table)."""
    planned, lines = figure_runs.plan(settings.get(number), preset_name, results_dir, data_dir, list(seeds),
                                      **run_options)
    if not plot_only:
        figure_runs.train(planned, f"figure {number}")
    paths, table, _ = render.render(number, planned, lines, os.path.join(out_dir, preset_name, f"figure{number}"),
                                    allow_partial=allow_partial)
    print(table)
    print(f"Training time of this figure's runs: {figure_runs.training_minutes(planned):.1f} min (summed over runs).")
    print("wrote " + ", ".join(paths))
    return paths


def main_for(number, flag_values):
    """The `main` of `python -m experiments.figureN`, reading `flag_values` (`figure_flags()`)."""

    def main(argv):
        del argv  # no positional arguments (`command_line.run`)
        try:
            run_figure(number, flag_values.preset, flag_values.results_dir, flag_values.out_dir,
                       flag_values.data_dir, seeds_of(flag_values), flag_values.plot_only,
                       flag_values.allow_partial, **run_options(flag_values))
        except ValueError as error:
            command_line.fail(str(error))

    return main
