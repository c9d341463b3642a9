"""Ablations of the reproduction: a figure's runs with one of our choices changed, the claims side by side.

    python -m experiments.ablation --ablation=l2-half --figures=2,4 --preset=paper --seeds=1-10 \
        --data_dir=../shared/data
    python -m experiments.ablation --ablation=bulyan-selected --figures=4,5 --seeds=1-10 --figure_seeds=5:1-3 \
        --data_dir=../shared/data

Each ablation changes RunConfig fields of some of a figure's runs (`Ablation.change`); the runs it does not
change are the figure's own (shared with the reproduction through the run cache). For every claim of the
figure (`experiments/paper/claims.py`) the table sets the verdict over the seeds with our choice beside the
verdict with the ablation's, and every curve's final accuracy, median [min, max] over the seeds. Writes
`<out_dir>/ablation_<id>.md` (`<out_dir>/<preset>/` for a preset other than paper).
"""

import dataclasses
import os

from absl import flags

from experiments.paper import claims, figure_command, figure_runs, render, reproduce, settings
from training import command_line


@dataclasses.dataclass(frozen=True)
class Ablation:
    id: str
    question: str  # what it settles
    choice: str  # our choice, in words
    variant: str  # the ablation's, in words
    figures: tuple  # the figures it runs by default
    change: object  # RunConfig -> {field: value} for the runs it changes ({} leaves a run as it is)


def _half_l2(config):
    return {"l2": config.l2 / 2}


def _bulyan_selected(config):
    if not config.gar.startswith("bulyan") or config.attack == "none":
        return {}
    return {"attack_options": {**config.attack_options, "objective": "selected"}}


def _pool_stride(config):
    return {"model": "cifar10_cnn_pool_stride"}


# Figure 3's reading (docs/reproduction/figure3_reading.md, point 3): Krum's gamma_m has a median of 2.5 to 4.4
# up to step 138, then rises to 1e8 within 6 steps and the loss overflows float32. The cap is about 10x the
# largest of those medians: above anything the attack used before the loop, far below where it ends.
GAMMA_CAP = 50.0


def _gamma_capped(config):
    if config.gar not in ("krum", "geomed") or config.attack == "none":
        return {}
    return {"attack_options": {**config.attack_options, "gamma_max": GAMMA_CAP}}


ABLATIONS = {ablation.id: ablation for ablation in (
    Ablation("l2-half", "Does the L2 convention decide a verdict?",
             "the loss adds lambda sum(x^2), lambda = 1e-4", "lambda/2 sum(x^2), as 1e-4 * tf.nn.l2_loss would",
             (2, 4), _half_l2),
    Ablation("bulyan-selected", "Does the attack's objective against Bulyan decide its verdicts?",
             "gamma maximises the attacked coordinate's displacement in Bulyan's output (objective=displacement)",
             "gamma is the largest one Bulyan's first stage still picks (objective=selected, the paper's "
             "literal reading)", (4, 5), _bulyan_selected),
    Ablation("cnn-pool-stride", "Does the CIFAR-10 model's unstated pool stride decide Figure 3's verdicts?",
             "'same' padding, pool stride 2 (d = 1,665,994; section 5.1 gives no stride)",
             "'same' padding, pool strides = pool sizes, 3 and 4 (d = 314,314; model cifar10_cnn_pool_stride)",
             (3,), _pool_stride),
    Ablation("gamma-capped", "Is Figure 3's divergence of Krum and GeoMed numerical, or does the attack destroy "
             "the model without it?", "gamma = gamma_m, uncapped (in our Figure 3 runs Krum's grows to 1e8, GeoMed's "
             "follows the same path, then the loss overflows float32)",
             f"Krum and GeoMed get gamma = min(gamma_m, {GAMMA_CAP:g}) (lp option gamma_max): about 10x the "
             "median gamma_m of 2.5 to 4.4 Krum used up to step 138, before its feedback loop with the honest "
             "gradients' spread", (3,), _gamma_capped),
)}


FLAGS = flags.FlagValues()
figure_command.define_figure_flags(FLAGS, {"preset": "paper"})
flags.DEFINE_enum("ablation", None, list(ABLATIONS), "The ablation to run (required).", flag_values=FLAGS)
flags.DEFINE_list("figures", None, "Figures to run it on (default: the ablation's own).", flag_values=FLAGS)
flags.DEFINE_multi_string("figure_seeds", [], "N:SEEDS, e.g. 5:1-3 (repeatable): Figure N's runs on these seeds, "
                          "whatever --seeds says.", flag_values=FLAGS)
flags.DEFINE_string("out_dir", os.path.join("docs", "reproduction"), "The table goes to "
                    "<out_dir>/ablation_<id>.md for the paper preset, <out_dir>/<preset>/ for another.",
                    flag_values=FLAGS)


def get(ablation_id):
    """The ablation `ablation_id`; ValueError naming the known ones."""
    if ablation_id not in ABLATIONS:
        raise ValueError(f"unknown ablation {ablation_id!r}; ablations: {', '.join(ABLATIONS)}")
    return ABLATIONS[ablation_id]


def changed(planned, ablation):
    """The planned runs with the ablation's change applied (new run names where it changes a run)."""
    return [dataclasses.replace(run, config=dataclasses.replace(run.config, **ablation.change(run.config)))
            for run in planned]


def _finals(results):
    """{run key: [final accuracy per seed]} of the runs in `results` ({seed: claims.Results})."""
    finals = {}
    for _, by_seed in sorted(results.items()):
        for key, metrics in by_seed.metrics.items():
            finals.setdefault(key, []).append(claims.final_accuracy(metrics))
    return finals


def _over_seeds(values):
    return claims.format_over_seeds(values, "%") if values else "-"


def _result(row):
    """'<measured>: <verdict>' of a claims row, the verdict alone when nothing was measured."""
    return f"{row.measured}: {row.verdict_text}" if row.measured else row.verdict_text


def figure_table(number, ours, theirs, ablation):
    """Markdown lines comparing Figure `number`'s claims and final accuracies, ours against the ablation's."""
    figure = settings.get(number)
    ours_results, theirs_results = render.finished_results(figure, ours), render.finished_results(figure, theirs)
    lines = [f"### Figure {number}", "", f"| claim (section) | ours: {ablation.choice} | ablation: "
             f"{ablation.variant} |", "|---|---|---|"]
    for claim in claims.for_figure(number):
        row_ours = claims.evaluate_claim(claim, ours_results)
        row_theirs = claims.evaluate_claim(claim, theirs_results)
        lines.append(f"| {claim.sentence} ({claim.section}) | {_result(row_ours)} | {_result(row_theirs)} |")
    finals_ours, finals_theirs = _finals(ours_results), _finals(theirs_results)
    lines += ["", "| curve | final accuracy, ours | final accuracy, ablation | run changed |", "|---|---|---|---|"]
    names = {(run.key, run.seed): run.config.resolved_run_name() for run in ours}
    for run in theirs:
        if run.seed != theirs[0].seed:
            continue
        curve = figure.label(run.key)
        if len(figure.panels) > 1:
            curve = f"{figure.panel(run.key[0]).label}: {curve}"
        lines.append(f"| {curve} | {_over_seeds(finals_ours.get(run.key, []))} | "
                     f"{_over_seeds(finals_theirs.get(run.key, []))} | "
                     f"{'yes' if names.get((run.key, run.seed)) != run.config.resolved_run_name() else 'no'} |")
    return lines + [""]


def plan(ablation, numbers, preset, seeds, results_dir, data_dir=None, figure_seeds=None, **run_options):
    """{figure: (our planned runs, the ablation's planned runs)}, on `seeds` or the figure's own in
    `figure_seeds` ({figure: seeds})."""
    plans = {}
    for number in numbers:
        own_seeds = (figure_seeds or {}).get(number, seeds)
        ours, _ = figure_runs.plan(settings.get(number), preset, results_dir, data_dir, own_seeds, **run_options)
        plans[number] = (ours, changed(ours, ablation))
    return plans


def run_ablation(ablation, numbers, preset, seeds, results_dir, out_dir, data_dir=None, plot_only=False,
                 figure_seeds=None, **run_options):
    """Trains (unless `plot_only`) our runs and the ablation's, writes the table; returns its path.
    `figure_seeds` ({figure: seeds}) overrides `seeds` for some figures. ValueError when no run of it is on
    disk."""
    figure_seeds = {number: tuple(own) for number, own in (figure_seeds or {}).items() if number in numbers}
    plans = plan(ablation, numbers, preset, seeds, results_dir, data_dir, figure_seeds, **run_options)
    every_run = [run for ours, theirs in plans.values() for run in ours + theirs]
    if not plot_only:
        figure_runs.train(figure_runs.unique_runs(every_run), f"ablation {ablation.id}")
    if not any(run.status() == "finished" for run in every_run):
        raise ValueError(f"no finished run of ablation {ablation.id} in {os.path.join(results_dir, preset)}")
    minutes = figure_runs.training_minutes(figure_runs.unique_runs(every_run))
    command = command_line.as_typed("experiments.ablation")
    lines = [f"# Ablation {ablation.id}: {ablation.question}", "",
             f"Ours: {ablation.choice}. Ablation: {ablation.variant}.", "",
             f"Written by `{command}`; preset {preset}; {claims.seeds_sentence(list(seeds))} "
             f"Training time of every run above, summed: {minutes:.1f} min.", ""]
    for number, (ours, theirs) in plans.items():
        table = figure_table(number, ours, theirs, ablation)
        if number in figure_seeds:  # after the figure's heading
            table[1:1] = ["", f"Seeds of this figure: {', '.join(map(str, figure_seeds[number]))}."]
        lines += table
    return render.write_markdown(out_dir, preset, f"ablation_{ablation.id}.md", lines)


def main(argv):
    del argv  # no positional arguments (`command_line.run`)
    try:
        if FLAGS.ablation is None:
            raise ValueError(f"--ablation is required; ablations: {', '.join(ABLATIONS)}")
        ablation = get(FLAGS.ablation)
        numbers = reproduce.parse_figures(FLAGS.figures) if FLAGS.figures else list(ablation.figures)
        run_ablation(ablation, numbers, FLAGS.preset, figure_command.seeds_of(FLAGS), FLAGS.results_dir,
                     FLAGS.out_dir, FLAGS.data_dir, FLAGS.plot_only, reproduce.parse_figure_seeds(FLAGS.figure_seeds),
                     **figure_command.run_options(FLAGS))
    except ValueError as error:
        command_line.fail(str(error))
