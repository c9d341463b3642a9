"""The whole reproduction in one command: every run of every figure asked for, then the report.

    python -m experiments.reproduce --preset=paper --seeds=1-5 --figures=2,4,6,7 --data_dir=../shared/data

It trains every run of the figures for every seed (a run shared by two figures is trained once),
printing one overall progress line per run with the runs done and left and an ETA; it is resumable:
rerun after an interruption, it reuses the finished runs and resumes the unfinished one from its
checkpoint. Then it writes the report to `<out_dir>` under the paper preset and to `<out_dir>/<preset>/`
under any other (a quick or micro report never replaces the published one): for each figure
`figureN.png` and `figureN_claims.md`, and `README.md`: each figure's plot, claims table, seeds and
training time, the machine (CPU model, cores, TensorFlow version), the command that wrote it, and links
to the other notes in that folder (the explanations of claims that do not reproduce, the studies).
`--plot_only` writes the report from the runs on disk; with `--allow_partial` figures with missing or
unfinished runs are drawn and marked PARTIAL. Nothing is written (exit 2, naming the runs or the results
folder) when a run is missing or unfinished without `--allow_partial`, or when no run of the figures is on
disk at all.
"""

import os

from absl import flags

from experiments.paper import choices, figure_command, figure_runs, render, settings
from training import command_line, run_queue

FLAGS = flags.FlagValues()
figure_command.define_figure_flags(FLAGS, defaults={"preset": "paper"})
flags.DEFINE_string("out_dir", os.path.join("docs", "reproduction"), "The report (README.md), each figure's "
                    "figureN.png and figureN_claims.md go to <out_dir> (paper preset) or <out_dir>/<preset>/ "
                    "(the others).", flag_values=FLAGS)
flags.DEFINE_list("figures", [str(n) for n in sorted(settings.FIGURES)], "Figures to reproduce, in this order "
                  "(e.g. 2,7,4,6,3,8,5).", flag_values=FLAGS)
flags.DEFINE_list("cifar10_seeds", None, "Seeds of the CIFAR-10 panels (default: --seeds), e.g. 1 while the "
                  "MNIST panels use 1-5.", flag_values=FLAGS)
flags.DEFINE_multi_string("figure_seeds", [], "N:SEEDS, e.g. 8:1 (repeatable): every panel of Figure N on these "
                          "seeds, whatever --seeds and --cifar10_seeds say.", flag_values=FLAGS)

# Relative cost of one image's forward and backward pass, for the ETA (measured: about 30x more per
# CIFAR-10 image than per MNIST image on CPU).
IMAGE_COST = {"mnist": 1.0, "cifar10": 30.0}


def parse_figures(values):
    numbers = []
    for value in values:
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"--figures takes figure numbers such as 2,3,7, got {value!r}") from None
        settings.get(number)  # ValueError naming the known figures
        numbers.append(number)
    return list(dict.fromkeys(numbers))


PRESET_TEXT = {"paper": "the paper's settings, our choices where it is silent",
               "quick": "the paper's settings shortened for a CPU, as each figure's table says; the choices are "
                        "those of the paper preset"}


def parse_figure_seeds(values):
    """["8:1", "3:1-2"] -> {8: (1,), 3: (1, 2)}; ValueError, one line, for a bad value or figure."""
    chosen = {}
    for value in values:
        number, colon, seeds = value.partition(":")
        if not colon or not seeds:
            raise ValueError(f"--figure_seeds takes N:SEEDS such as 8:1 or 3:1-3, got {value!r}")
        (number,) = parse_figures([number.strip()])
        chosen[number] = tuple(command_line.parse_seeds(seeds, default=None, flag="--figure_seeds"))
    return chosen


def check_runs(plans, allow_partial):
    """Refuses (FigureError) before anything is written: when no run of the figures is on disk, or, without
    `allow_partial`, when a figure has a run missing or unfinished. `plans`: {number: (planned, lines)}."""
    planned = [run for runs, _ in plans.values() for run in runs]
    if not any(render.recorded(run) is not None for run in planned):
        folders = ", ".join(dict.fromkeys(run.config.results_dir for run in planned))
        figures = ("Figure " if len(plans) == 1 else "Figures ") + ", ".join(map(str, plans))
        raise render.FigureError(f"no run of {figures} on disk under {folders}; nothing written (check "
                                 "--results_dir and --preset)")
    if not allow_partial:
        for number, (runs, _) in plans.items():
            render.check_complete(number, runs)


def train_all(runs):
    """Trains every run (deduplicated), with one overall progress line per run (`training.run_queue`: the
    ETA uses each dataset's own measured rate, and for a dataset not measured yet the rate of the others;
    work units weigh a CIFAR-10 image against an MNIST one by `IMAGE_COST`)."""
    run_queue.train_all(runs, "reproduce", image_cost=IMAGE_COST)


def _notes(out_dir, generated):
    """The other markdown files of `out_dir` (explanations, studies), with their first heading."""
    notes = []
    for name in sorted(os.listdir(out_dir)):
        if name.endswith(".md") and name not in generated:
            with open(os.path.join(out_dir, name), encoding="utf-8") as file:
                heading = next((line.lstrip("# ").strip() for line in file if line.startswith("#")), name)
            notes.append((name, heading))
    return notes


def seeds_text(seeds):
    """(The seeds, how a plot and a verdict read over them), for the report's header."""
    if len(seeds) == 1:
        return f"One seed ({seeds[0]}).", "A plot draws that seed's runs, and a claim holds when it holds on them."
    return (f"Seeds: {', '.join(map(str, seeds))} (a figure's panels may use fewer: see its table).",
            "A plot draws the median over the seeds and shades the band from their min to their max. A claim "
            "holds overall when it holds in more than half of the seeds.")


def write_report(out_dir, sections, preset, seeds, command):
    """`<out_dir>/README.md` from the figure sections [(number, steps, table or None, claims rows, minutes,
    partial)]: a summary of every claim's verdict, the notes, then each figure."""
    generated = {"README.md"} | {f"figure{number}_claims.md" for number, *_ in sections}
    seeds_line, reading = seeds_text(seeds)
    lines = ["# What this project reproduces", "",
             "The paper's Figures 2 to 8 (El Mhamdi, Guerraoui, Rouault, ICML 2018), trained by this project "
             f"under the `{preset}` preset ({PRESET_TEXT.get(preset, 'see each figure')}: [Settings and "
             "choices](#settings-and-choices)), and the paper's stated results checked on every seed.",
             "This file is written by", "", f"    {command}", "",
             f"{seeds_line} Machine: {run_queue.machine()}.", "",
             f"{reading} Training times are the sum of the runs' own wall times (a run shared by two figures "
             "counts in both); they grow when other jobs share the machine.", ""]
    lines += ["## Summary", "", "| figure | section | the paper says | verdict |", "|---|---|---|---|"]
    for number, _, table, rows, _, partial in sections:
        if table is None:
            lines.append(f"| {number} | | (not run yet) | |")
        for row in rows:
            sentence = row.claim.sentence if len(row.claim.sentence) <= 90 else row.claim.sentence[:87] + "..."
            lines.append(f"| {number}{' (partial)' if partial else ''} | {row.claim.section} | {sentence} | "
                         f"{row.verdict_text} |")
    lines.append("")
    lines += choices.markdown()
    notes = _notes(out_dir, generated)
    if notes:
        lines += ["## Notes and studies", ""] + [f"- [{heading}]({name})" for name, heading in notes] + [""]
    for number, steps, table, _, minutes, partial in sections:
        figure = settings.get(number)
        lines += [f"## Figure {number}", "", figure.caption.format(steps=steps), ""]
        if table is None:
            lines += ["Not run yet.", ""]
            continue
        state = " **PARTIAL: some runs are missing or unfinished.**" if partial else ""
        lines += [f"![Figure {number}](figure{number}.png)", "",
                  f"Training time: {minutes:.1f} min on the machine above.{state}", ""]
        lines += table.split("\n", 2)[2].rstrip().split("\n") + [""]
    with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8") as file:
        file.write("\n".join(lines).rstrip() + "\n")
    return os.path.join(out_dir, "README.md")


def reproduce(numbers, preset, seeds, results_dir, out_dir, data_dir=None, plot_only=False,
              allow_partial=False, command="python -m experiments.reproduce", dataset_seeds=None, figure_seeds=None,
              **run_options):
    """Trains (unless `plot_only`) and reports the figures `numbers` to `render.report_dir(out_dir, preset)`;
    returns the report's path. `dataset_seeds` ({dataset: seeds}) overrides `seeds` for some datasets'
    panels, `figure_seeds` ({figure: seeds}) both for some figures. Runs are trained cheapest dataset first
    (all MNIST runs, then CIFAR-10), in figure order. FigureError, with nothing written, when `check_runs`
    refuses."""
    plans = {}
    figure_seeds = figure_seeds or {}
    for number in numbers:
        own = figure_seeds.get(number)  # then neither `seeds` nor `dataset_seeds` applies
        plans[number] = figure_runs.plan(settings.get(number), preset, results_dir, data_dir, own or seeds,
                                         None if own else dataset_seeds, **run_options)
    if not plot_only:
        runs = figure_runs.unique_runs(*(planned for planned, _ in plans.values()))
        train_all(sorted(runs, key=lambda run: IMAGE_COST.get(run.config.dataset, 1.0)))
    check_runs(plans, allow_partial)
    out_dir = render.report_dir(out_dir, preset)
    os.makedirs(out_dir, exist_ok=True)
    sections = []
    for number, (planned, lines) in plans.items():
        try:
            _, table, rows = render.render(number, planned, lines, os.path.join(out_dir, f"figure{number}"),
                                           allow_partial=allow_partial, formats=("png",))
        except render.FigureError as error:
            if not allow_partial:
                raise
            print(f"[reproduce] {error}", flush=True)
            sections.append((number, figure_runs.steps_text(planned), None, [], 0.0, True))
            continue
        partial = any(run.status() != "finished" for run in planned)
        sections.append((number, figure_runs.steps_text(planned), table, rows, figure_runs.training_minutes(planned),
                         partial))
        print(f"[reproduce] Figure {number}: wrote {os.path.join(out_dir, f'figure{number}.png')}", flush=True)
    every_seed = sorted({run.seed for planned, _ in plans.values() for run in planned})
    path = write_report(out_dir, sections, preset, every_seed, command)
    print(f"[reproduce] wrote {path}", flush=True)
    return path


def main(argv):
    del argv  # no positional arguments (`command_line.run`)
    try:
        numbers = parse_figures(FLAGS.figures)
        seeds = figure_command.seeds_of(FLAGS)
        dataset_seeds = {"cifar10": command_line.parse_seeds(FLAGS.cifar10_seeds)} if FLAGS.cifar10_seeds else None
        reproduce(numbers, FLAGS.preset, seeds, FLAGS.results_dir, FLAGS.out_dir, FLAGS.data_dir,
                  FLAGS.plot_only, FLAGS.allow_partial, command_line.as_typed("experiments.reproduce"), dataset_seeds,
                  parse_figure_seeds(FLAGS.figure_seeds), **figure_command.run_options(FLAGS))
    except ValueError as error:
        command_line.fail(str(error))
