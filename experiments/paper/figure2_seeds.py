"""Figure 2 over many seeds: what decides whether a run stays in the paper's "sub-space of ineffective
models" after the attack stops at step 50 (section 5.2.1).

    python -m experiments.figure2_seeds --seeds=1-10 --results_dir=/path/to/results --data_dir=../shared/data

For each seed and each attacked rule of Figure 2 (paper preset), the finished 1000-step run is read from
`<results_dir>/paper/<run>` (never written): its metrics and its last checkpoint (step 1000). The state at
step 50, the end of the attack, is obtained by training the run's 50-step prefix (the same settings with
steps=50) into `<work_dir>/paper/`: a run is deterministic and its data and attack are keyed by (seed, step),
so the prefix's parameters are the long run's at step 50; every prefix's metrics rows 0..50 are checked
against the long run's. Unfinished runs are skipped with a note, and so are the runs of a seed whose Average
reference is not finished. A run's outcome is the Figure 2 claim's (`claims.stayed_ineffective`): it stayed in
the sub-space of ineffective models when at every evaluation from step 50 on its accuracy is at least 20
points below its seed's Average at the same step, and left it otherwise. Writes `<out_dir>/figure2_seeds.md`
(a table per run, Spearman correlations with the final accuracy, the best threshold split of the outcome, how
early the test accuracy tells it) and `.png`.

Two optional experiments, also under `<work_dir>` (each a re-training, about one run's cost):
- `--trace=1:krum`: the state every `--trace_every` steps of that run (one run extended step by step).
- `--reseed=1:krum`: the run restarted from its own step-50 state with the mini-batches of other seeds
  (`--reseed_seeds`): whether the state at the attack's end decides the outcome or what follows does.
"""

import dataclasses
import os

import numpy as np
from absl import flags

from experiments.paper import claims, figure_runs, mlp_state, rank_stats, settings
from training import command_line, run_folder

FIGURE = 2
PRESET = "paper"
RULES = tuple(curve.id for curve in settings.get(FIGURE).panels[0].curves if curve.attacked)  # krum, geomed, brute

LIVE_FRACTION = 0.01  # a hidden unit is live when active on at least 1% of the sample images
CLASS_FRACTION = 0.01  # a class counts as predicted when it is the prediction for at least 1% of the images
READING = "figure2_seeds_reading.md"  # the hand-written interpretation, linked when it is in --out_dir


def parse_seeds(text, flag="--seeds"):
    """'1-3,7' -> [1, 2, 3, 7] (sorted, unique); ValueError naming the bad part (`figure_runs.parse_seeds`)."""
    return figure_runs.parse_seeds(text, default=None, flag=flag)


def _planned(seed, results_dir, data_dir):
    planned, _ = figure_runs.plan(settings.get(FIGURE), PRESET, results_dir, data_dir, [seed])
    return planned


def reference_run(seed, results_dir, data_dir):
    """RunConfig of Figure 2's unattacked Average curve (the reference) for `seed`, paper preset."""
    return next(run.config for run in _planned(seed, results_dir, data_dir) if run.key[1] == "average")


def attacked_runs(seed, results_dir, data_dir, rules):
    """[(Curve, RunConfig)] of Figure 2's attacked curves whose id is in `rules`, paper preset."""
    panel = settings.get(FIGURE).panels[0]
    return [(panel.curve(run.key[1]), run.config) for run in _planned(seed, results_dir, data_dir)
            if run.key[1] in rules and panel.curve(run.key[1]).attacked]


def left_subspace(metrics, reference, stop):
    """Whether a run left "a sub-space of ineffective models that SGD did not succeed in leaving" (section
    5.2.1) after the attack's end `stop`: not `claims.stayed_ineffective`, the Figure 2 claim's definition,
    against `reference` (the metrics of its seed's unattacked Average)."""
    return not claims.stayed_ineffective(metrics, reference, stop)


def prefix_config(config, steps, work_dir):
    """The same run cut after `steps` steps, its folder under `<work_dir>/<preset>/`."""
    return dataclasses.replace(config, steps=steps, results_dir=os.path.join(work_dir, PRESET), run_name=None)


def prefix_mismatches(prefix_metrics, long_metrics):
    """The columns (wall_time aside) whose rows 0..last of the prefix differ from the long run's."""
    rows = len(prefix_metrics["step"])
    bad = [column for column in prefix_metrics if column != "wall_time"
           and (column not in long_metrics or len(long_metrics[column]) < rows
                or not np.array_equal(prefix_metrics[column], long_metrics[column][:rows], equal_nan=True))]
    return bad + [column for column in long_metrics if column not in prefix_metrics]


def attack_summary(metrics, stop):
    """The lp attack over steps 1..stop of the metrics: mean gamma_m, the push on the attacked coordinate
    beyond the honest mean (sum of lr * gamma_m), and the fraction of steps where B was selected."""
    gamma = metrics["gamma"][1:stop + 1]
    lr = metrics["lr"][1:stop + 1]
    selected = metrics.get("selected", np.full_like(gamma, np.nan))[1:stop + 1]
    return {"gamma_mean": float(np.nanmean(gamma)), "push": float(np.nansum(lr * gamma)),
            "selected": float(np.nanmean(selected))}


def class_margin(class_logits, labels, target):
    """Mean over the images of class `target` of (its logit - the largest other logit): > 0 when they are
    predicted as `target`."""
    rows = np.asarray(class_logits)[np.asarray(labels) == target]
    others = np.delete(rows, target, axis=1).max(axis=1)
    return float(np.mean(rows[:, target] - others))


def state_features(params, images, labels, sample):
    """The features of one parameter vector x of the MNIST MLP: test images/labels, `sample` for dead units."""
    class_logits = mlp_state.logits(params, images)
    accuracy, loss = mlp_state.accuracy_and_loss(class_logits, labels)
    fractions = mlp_state.predicted_fractions(class_logits)
    target = len(fractions) - 1  # the last output bias: the lp attack's coordinate -1
    gap_mean, _ = mlp_state.bias_gap(params, target)
    return {"b9": mlp_state.attacked_coordinate_value(params, -1), "gap": gap_mean,
            "norm": float(np.linalg.norm(params)), "dead": mlp_state.dead_units(params, sample),
            "live": mlp_state.live_units(params, sample, LIVE_FRACTION),
            "accuracy": accuracy, "loss": loss, "frac9": float(fractions[target]),
            "top_class": float(fractions.max()), "classes": int(np.sum(fractions >= CLASS_FRACTION)),
            "margin9": class_margin(class_logits, labels, target)}


def normalised(dataset, images):
    """NumPy twin of `Dataset.normalise`: uint8 [N, ...] -> float64 (images / 255 - mean) / std."""
    return (np.asarray(images, np.float64) / 255.0 - np.asarray(dataset.mean)) / np.asarray(dataset.std)


def measure(curve, config, work_dir, dataset, sample_images, reference):
    """One run's row: the attack, the state at the attack's end (from the prefix) and at the last step, and
    whether it left the sub-space (`left_subspace` against `reference`, its seed's Average metrics; row key
    "recovered", which plots/seeds_plot.py reads). `curve`: its Figure 2 curve (row "curve": the id, "rule":
    the label). None (with a printed note) when the long run is not finished."""
    import training

    run_dir = run_folder.path(config)
    if not run_folder.state(run_dir).finished:
        print(f"[figure2_seeds] seed {config.seed} {curve.label}: {run_dir} is not finished, skipped", flush=True)
        return None
    stop = config.attack_stop
    long_metrics = run_folder.read_metrics(run_dir)
    prefix_dir = training.run(prefix_config(config, stop, work_dir), progress=False)
    mismatches = prefix_mismatches(run_folder.read_metrics(prefix_dir), long_metrics)
    if mismatches:
        print(f"[figure2_seeds] seed {config.seed} {curve.label}: the {stop}-step prefix differs from the run in "
              f"{', '.join(mismatches)}; its step-{stop} state is not the run's", flush=True)
    images = normalised(dataset, dataset.test_images)
    sample = images[:sample_images]
    at_stop, _ = run_folder.read_params(prefix_dir, stop)
    last, last_step = run_folder.read_params(run_dir)
    row = {"seed": config.seed, "curve": curve.id, "rule": curve.label, "run": os.path.basename(run_dir),
           "stop": stop, "last_step": last_step, "prefix_matches": not mismatches,
           "final_accuracy": claims.final_accuracy(long_metrics)}
    row.update(attack_summary(long_metrics, stop))
    for when, params in ((stop, at_stop), (last_step, last)):
        key = "stop" if when == stop else "last"
        row.update({f"{name}@{key}": value
                    for name, value in state_features(params, images, dataset.test_labels, sample).items()})
    row["recovered"] = left_subspace(long_metrics, reference, stop)
    return row


def trace(config, work_dir, every, dataset, sample_images):
    """The state every `every` steps (and at the attack's end) of one run, re-trained under
    `<work_dir>/trace/`: one run extended step count by step count (a resumed run equals an uninterrupted
    one), features read from its checkpoint each time. Returns (rows, mismatching metrics columns against
    the long run: [] when the re-trained trajectory is the run's)."""
    import training

    images = normalised(dataset, dataset.test_images)
    traced = dataclasses.replace(config, results_dir=os.path.join(work_dir, "trace"),
                                 run_name="trace-" + config.resolved_run_name())
    stops = sorted({config.attack_stop, *range(every, config.steps + 1, every), config.steps})
    run_dir = run_folder.path(traced)
    states = run_dir + "-states"  # x at each stop, so that a rerun skips training
    os.makedirs(states, exist_ok=True)
    rows = []
    for steps in stops:
        saved = os.path.join(states, f"{steps}.npy")
        if not os.path.exists(saved):
            params, _ = run_folder.read_params(training.run(dataclasses.replace(traced, steps=steps),
                                                            progress=False), steps)
            np.save(saved, params)
        params = np.load(saved)
        rows.append({"step": steps, **state_features(params, images, dataset.test_labels, images[:sample_images])})
    long_metrics = run_folder.read_metrics(run_folder.path(config))
    return rows, prefix_mismatches(run_folder.read_metrics(run_dir), long_metrics)


def continuation(config, work_dir, data_seed):
    """The run restarted from its state at the attack's end (its prefix's checkpoint) with the mini-batches
    of `data_seed` for the remaining steps, trained under `<work_dir>/reseed/`. After the attack window the
    seed only keys the data (the attack is off and the initial state is restored), so `data_seed` =
    config.seed gives the run itself and another seed the same state at the attack's end followed by other
    mini-batches. Returns the run folder."""
    import shutil

    import training

    stop = config.attack_stop
    prefix_dir = training.run(prefix_config(config, stop, work_dir), progress=False)
    restarted = dataclasses.replace(config, seed=data_seed, results_dir=os.path.join(work_dir, "reseed"),
                                    run_name=f"reseed{data_seed}-" + config.resolved_run_name())
    run_dir = run_folder.path(restarted)
    if not os.path.isdir(run_dir):
        shutil.rmtree(run_dir + ".partial", ignore_errors=True)
        os.makedirs(run_dir + ".partial")
        shutil.copytree(os.path.join(prefix_dir, "checkpoints"), os.path.join(run_dir + ".partial", "checkpoints"))
        os.replace(run_dir + ".partial", run_dir)
    return training.run(restarted, progress=False)


# (row key, column header, format): the table's columns, in order.
COLUMNS = (
    ("seed", "seed", "{}"), ("rule", "rule", "{}"),
    ("gamma_mean", "mean γ_m", "{:.3g}"), ("push", "Σ η γ_m", "{:.0f}"),
    ("b9@stop", "x_j @50", "{:.1f}"), ("gap@stop", "gap @50", "{:.1f}"), ("norm@stop", "‖x‖ @50", "{:.0f}"),
    ("dead@stop", "dead @50", "{}"), ("live@stop", "live @50", "{}"), ("accuracy@stop", "acc @50", "{:.1%}"),
    ("loss@stop", "loss @50", "{:.1f}"), ("frac9@stop", "pred 9 @50", "{:.1%}"),
    ("top_class@stop", "top class @50", "{:.0%}"), ("classes@stop", "classes @50", "{}"),
    ("margin9@stop", "margin 9 @50", "{:.0f}"),
    ("b9@last", "x_j @1000", "{:.1f}"), ("gap@last", "gap @1000", "{:.1f}"), ("norm@last", "‖x‖ @1000", "{:.0f}"),
    ("dead@last", "dead @1000", "{}"), ("live@last", "live @1000", "{}"), ("loss@last", "loss @1000", "{:.1f}"),
    ("frac9@last", "pred 9 @1000", "{:.1%}"), ("top_class@last", "top class @1000", "{:.0%}"),
    ("classes@last", "classes @1000", "{}"), ("margin9@last", "margin 9 @1000", "{:.0f}"),
    ("final_accuracy", "final acc", "{:.1%}"), ("recovered", "left", "{}"),
)
# The numeric features correlated with the final accuracy (accuracy@last is the final accuracy itself).
FEATURES = tuple(key for key, _, _ in COLUMNS[2:-2] if key != "accuracy@last")
HEADERS = {key: header for key, header, _ in COLUMNS}


def _cell(value, form):
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "-"}[value]
    return form.format(value)


def table(rows):
    """The markdown table: one row per (seed, rule)."""
    lines = ["| " + " | ".join(header for _, header, _ in COLUMNS) + " |",
             "|" + "|".join("---" if key in ("rule",) else "---:" for key, _, _ in COLUMNS) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row[key], form) for key, _, form in COLUMNS) + " |")
    return "\n".join(lines)


def correlations(rows, groups):
    """{feature: {group name: Spearman rho with the final accuracy}} and the best split of the first
    group: {feature: (threshold, direction, errors)}; `groups` maps a name to a list of curve ids."""
    rhos, splits = {}, {}
    pooled = [row for row in rows if row["curve"] in groups[next(iter(groups))]]
    for feature in FEATURES:
        rhos[feature] = {name: rank_stats.spearman([r[feature] for r in rows if r["curve"] in ids],
                                                   [r["final_accuracy"] for r in rows if r["curve"] in ids])
                         for name, ids in groups.items()}
        if pooled:
            splits[feature] = rank_stats.best_split([r[feature] for r in pooled], [r["recovered"] for r in pooled])
    return rhos, splits


def _rho(value):
    return "n/a" if np.isnan(value) else f"{value:+.2f}"


def summary(rows, groups):
    """Markdown: per feature, Spearman's rho with the final accuracy per group, and the best threshold
    split of the first group (left the sub-space or stayed), sorted by that split's errors then |rho|."""
    rhos, splits = correlations(rows, groups)
    first = next(iter(groups))
    pooled = [row for row in rows if row["curve"] in groups[first]]
    lines = [f"| feature | " + " | ".join(f"ρ {name}" for name in groups)
             + f" | best split ({first}, {len(pooled)} runs) | runs misplaced |",
             "|---|" + "---:|" * len(groups) + "---|---:|"]
    order = sorted(FEATURES, key=lambda k: (splits[k][2] if k in splits else 0,
                                            -abs(np.nan_to_num(rhos[k][first]))))
    for key in order:
        threshold, direction, errors = splits.get(key, (np.nan, "", 0))
        lines.append(f"| {HEADERS[key]} | " + " | ".join(_rho(rhos[key][name]) for name in groups)
                     + f" | left iff {HEADERS[key]} {direction} {threshold:.4g} | {errors} |")
    return "\n".join(lines), rhos, splits


def findings(rows, groups):
    """Markdown bullets: the feature that best separates the first group's outcomes at the attack's end,
    and at the last step (fewest misplaced runs, then the largest |rho|)."""
    rhos, splits = correlations(rows, groups)
    first = next(iter(groups))
    pooled = sum(row["curve"] in groups[first] for row in rows)
    lines = []
    for when, suffix in (("at the end of the attack", "@stop"), ("at the last step", "@last")):
        keys = [key for key in FEATURES if key.endswith(suffix) and key in splits]
        if not keys:
            continue
        best = min(keys, key=lambda k: (splits[k][2], -abs(np.nan_to_num(rhos[k][first]))))
        threshold, direction, errors = splits[best]
        lines.append(f"- Best single feature {when} ({first}, {pooled} runs): {HEADERS[best]}, "
                     f"ρ = {_rho(rhos[best][first])} with the final accuracy; \"left iff {HEADERS[best]} "
                     f"{direction} {threshold:.4g}\" misplaces {errors} run(s).")
    return "\n".join(lines)


def decision_steps(rows, curves, group, steps):
    """Markdown: how well the test accuracy at each of `steps` (from the runs' metrics) tells the runs of
    `group` (curve ids) that left the sub-space from the others: Spearman's rho with the final accuracy and the
    best split's misplaced runs. `curves`: {(seed, curve id): (steps, accuracy)}."""
    mine = [row for row in rows if row["curve"] in group]
    lines = ["| step | " + " | ".join(str(step) for step in steps) + " |",
             "|---|" + "---:|" * len(steps)]
    rho_cells, error_cells = [], []
    for step in steps:
        accuracy = []
        for row in mine:
            at, values = curves[row["seed"], row["curve"]]
            accuracy.append(float(values[np.searchsorted(at, step)]) if step in at else np.nan)
        rho_cells.append(_rho(rank_stats.spearman(accuracy, [r["final_accuracy"] for r in mine])))
        error_cells.append(str(rank_stats.best_split(accuracy, [r["recovered"] for r in mine])[2]))
    lines.append("| ρ(acc at step, final acc) | " + " | ".join(rho_cells) + " |")
    lines.append(f"| runs misplaced by the best split of acc at step ({len(mine)} runs) | "
                 + " | ".join(error_cells) + " |")
    return "\n".join(lines)


TRACE_COLUMNS = (("step", "step", "{}"), ("accuracy", "acc", "{:.1%}"), ("dead", "dead", "{}"),
                 ("live", "live", "{}"), ("top_class", "top class", "{:.0%}"), ("classes", "classes", "{}"),
                 ("frac9", "pred 9", "{:.1%}"),
                 ("margin9", "margin 9", "{:.0f}"), ("b9", "x_j", "{:.1f}"), ("norm", "‖x‖", "{:.0f}"),
                 ("loss", "loss", "{:.1f}"))


def trace_table(trace_rows):
    """Markdown: one traced run's state at each traced step."""
    lines = ["| " + " | ".join(header for _, header, _ in TRACE_COLUMNS) + " |",
             "|" + "---:|" * len(TRACE_COLUMNS)]
    for row in trace_rows:
        lines.append("| " + " | ".join(form.format(row[key]) for key, _, form in TRACE_COLUMNS) + " |")
    return "\n".join(lines)


def reseed_table(restarts):
    """Markdown: for each restarted run, the final accuracy and live units of every restart, and how many
    left the sub-space. `restarts`: [(title, curve id, the run's final accuracy, [(data seed, final accuracy,
    live units at the end, left)])]."""
    lines = ["| run | final acc of the run | data seed: final acc (live @end) of the restarts | left |",
             "|---|---:|---|---:|"]
    for title, _, original, results in restarts:
        cells = ", ".join(f"{seed}: {accuracy:.1%} ({live})" for seed, accuracy, live, _ in results)
        count = sum(left for *_, left in results)
        lines.append(f"| {title} | {original:.1%} | {cells} | {count}/{len(results)} |")
    return "\n".join(lines)


def report(rows, groups, seeds_asked, sample_images, decisions="", traces=(), restarts=(), references=(),
           reading=None):
    """The whole markdown file; `groups` {name: [curve ids]} (`correlations`), `traces` a list of (title,
    trace rows, mismatching columns), `restarts` of (title, curve id, the run's final accuracy, [(data seed,
    final accuracy, live units at the end, left)]),
    `references` of (seed, final accuracy, live units at the end) of the unattacked Average runs; `reading`
    the name of a hand-written interpretation beside the file, linked when given."""
    finished = sorted({row["seed"] for row in rows})
    labels = dict((row["curve"], row["rule"]) for row in rows)  # curve id -> label, in order
    counts = ", ".join(f"{label} {sum(r['recovered'] for r in rows if r['curve'] == curve)}/"
                       f"{sum(r['curve'] == curve for r in rows)}" for curve, label in labels.items())
    text, _, _ = summary(rows, groups)
    matched = sum(row["prefix_matches"] for row in rows)
    stop = rows[0]["stop"]
    parts = [
        "# Figure 2 over seeds: which runs leave the \"sub-space of ineffective models\"",
        "",
        "Paper preset of Figure 2 (section 5.2.1: MNIST MLP, eta0 = 1, r = 10000, batch 83 (Brute 256); the lp "
        f"attack on the last parameter, the output bias of class 9, over steps [0, {stop})). Seeds asked: "
        f"{seeds_asked}; finished and measured: {', '.join(map(str, finished))}. "
        "Generated by `python -m experiments.figure2_seeds`."
        + (f" What the numbers mean: [{reading}]({reading})." if reading else ""),
        "",
        f"Left the sub-space of ineffective models (the Figure 2 claim's definition, "
        f"`experiments/paper/claims.py`: a run stayed when at every evaluation from step {stop} to the last its "
        f"accuracy is at least {claims.INEFFECTIVE_POINTS:g} points below its seed's unattacked Average at the "
        f"same step, and left when one evaluation is closer): {counts}.",
        "",
        f"Columns: mean γ_m and Σ η γ_m (the attack's push on x_j beyond the honest mean) over steps 1-{stop}, "
        f"from the run's metrics; then the state at step {stop} (the end of the attack, from the run's "
        f"{stop}-step prefix) and at step {rows[0]['last_step']} (the run's last checkpoint): x_j the attacked "
        "coordinate, gap = x_j - mean of the other 9 output biases, ‖x‖ the parameter norm, dead = hidden "
        f"ReLU units never active on the first {sample_images} test images, live = units active on at least "
        f"{LIVE_FRACTION:.0%} of them, acc and loss on the 10,000 test images, pred 9 = fraction predicted "
        "as class 9, top class = fraction predicted as the most predicted class, classes = how many classes "
        f"are predicted for at least {CLASS_FRACTION:.0%} of the test images, margin 9 = mean over the "
        "class-9 test images of (logit 9 - the largest other logit).",
        f"The {stop}-step prefixes reproduce the long runs' metrics rows 0..{stop} exactly (every column but "
        f"wall_time) for {matched} of {len(rows)} runs. The rule selected B(γ_m) at every attack step in "
        f"{sum(row['selected'] == 1.0 for row in rows)} of {len(rows)} runs.",
        "",
        findings(rows, groups),
        *([f"- Reference, the unattacked Average (30 honest workers) at the last step, seed: final acc "
           f"(live units): " + ", ".join(f"{seed}: {accuracy:.1%} ({live})" for seed, accuracy, live in references)
           + "."] if references else []),
        "",
        table(rows),
        "",
        "## Spearman correlation with the final accuracy, and the best one-threshold split",
        "",
        text,
    ]
    if decisions:
        parts += ["", "## When is the outcome decided? The test accuracy along the way", "", decisions]
    if restarts:
        parts += ["", "## The same state at the end of the attack, other mini-batches afterwards", "",
                  "Each run restarted from its own step-" f"{stop} parameters (its prefix's checkpoint), the steps "
                  f"after {stop} drawing their mini-batches with another seed (the attack is over, so nothing "
                  "else changes). Left: by the same definition, against the Average of the run's own seed.", "",
                  reseed_table(restarts)]
    for title, trace_rows, mismatches in traces:
        check = ("its metrics equal the run's" if not mismatches
                 else f"its metrics differ from the run's in {', '.join(mismatches)}")
        parts += ["", f"## Trace: {title} (re-trained, {check})", "", trace_table(trace_rows)]
    return "\n".join(parts) + "\n"


def parse_traces(items, flag="--trace"):
    """['1:krum', '2:geomed'] -> [(1, 'krum'), (2, 'geomed')]; ValueError naming the bad item."""
    out = []
    for item in items:
        seed, sep, rule = item.partition(":")
        if not sep or not seed.strip().isdigit() or not rule:
            raise ValueError(f"{flag} takes seed:rule items like 1:krum, got {item!r}")
        out.append((int(seed), rule.strip()))
    return out


def _picked(configs, rows, picks, what):
    """[(Curve, config, final accuracy)] of the measured runs named by `picks` [(seed, curve id)]; the others
    are skipped with a printed note."""
    out = []
    for seed, rule in picks:
        if (seed, rule) not in configs:
            print(f"[figure2_seeds] {what} {seed}:{rule}: no finished run measured, skipped", flush=True)
            continue
        curve, config = configs[seed, rule]
        out.append((curve, config, next(r["final_accuracy"] for r in rows if r["seed"] == seed
                                        and r["curve"] == curve.id)))
    return out


POOLED = ("krum", "geomed")  # the curves whose outcomes the study pools (Brute mostly leaves the sub-space)


def plotted_restarts(restarts):
    """`restarts` as plots/seeds_plot.py draws them: each restart as (data seed, final accuracy, live units)."""
    return [(title, curve, original, [result[:3] for result in results])
            for title, curve, original, results in restarts]


def run_study(seeds, results_dir, work_dir, data_dir, out_dir, rules, sample_images, plot_feature,
              traced=(), trace_every=100, reseeded=(), data_seeds=()):
    """Measures every finished run, writes <out_dir>/figure2_seeds.md and .png; returns (rows, paths)."""
    from plots.seeds_plot import evaluated_curve, plot_seeds
    from training import datasets

    dataset = datasets.load("mnist", data_dir)
    rows, curves, configs, references, reference_metrics = [], {}, {}, [], {}
    images = normalised(dataset, dataset.test_images)
    for seed in seeds:
        reference_dir = run_folder.path(reference_run(seed, results_dir, data_dir))
        if not run_folder.state(reference_dir).finished:
            print(f"[figure2_seeds] seed {seed}: its Average {reference_dir} is not finished, so no run of the "
                  "seed can be said to stay or leave; skipped", flush=True)
            continue
        params, _ = run_folder.read_params(reference_dir)
        reference_metrics[seed] = run_folder.read_metrics(reference_dir)
        references.append((seed, claims.final_accuracy(reference_metrics[seed]),
                           mlp_state.live_units(params, images[:sample_images], LIVE_FRACTION)))
        for curve, config in attacked_runs(seed, results_dir, data_dir, rules):
            row = measure(curve, config, work_dir, dataset, sample_images, reference_metrics[seed])
            if row is None:
                continue
            rows.append(row)
            configs[seed, curve.id] = curve, config
            curves[seed, curve.id] = evaluated_curve(run_folder.read_metrics(run_folder.path(config)))
            print(f"[figure2_seeds] seed {seed} {curve.label}: final accuracy {row['final_accuracy']:.1%}",
                  flush=True)
    if not rows:
        raise ValueError(f"no finished Figure 2 run for seeds {seeds} under {os.path.join(results_dir, PRESET)}")
    labels = dict((row["curve"], row["rule"]) for row in rows)  # curve id -> label
    attacked = [curve for curve in POOLED if curve in labels] or list(labels)
    groups = {"+".join(labels[curve] for curve in attacked): attacked,
              **{labels[curve]: [curve] for curve in attacked}}
    if len(labels) > len(attacked):
        groups["all"] = sorted(labels)
    traces = []
    for curve, config, final in _picked(configs, rows, traced, "trace"):
        print(f"[figure2_seeds] tracing seed {config.seed} {curve.label} every {trace_every} steps", flush=True)
        trace_rows, mismatches = trace(config, work_dir, trace_every, dataset, sample_images)
        traces.append((f"seed {config.seed}, {curve.label} (final accuracy {final:.1%})", trace_rows, mismatches))
    restarts = []
    for curve, config, final in _picked(configs, rows, reseeded, "reseed"):
        results = []
        for data_seed in data_seeds:
            print(f"[figure2_seeds] seed {config.seed} {curve.label}: restart at step {config.attack_stop} with "
                  f"the mini-batches of seed {data_seed}", flush=True)
            run_dir = continuation(config, work_dir, data_seed)
            params, _ = run_folder.read_params(run_dir)
            metrics = run_folder.read_metrics(run_dir)
            results.append((data_seed, claims.final_accuracy(metrics),
                            mlp_state.live_units(params, images[:sample_images], LIVE_FRACTION),
                            left_subspace(metrics, reference_metrics[config.seed], config.attack_stop)))
        restarts.append((f"seed {config.seed}, {curve.label}", curve.id, final, results))
    last = rows[0]["last_step"]
    steps = sorted({rows[0]["stop"], *range(100, last + 1, 100)})
    os.makedirs(out_dir, exist_ok=True)
    base = os.path.join(out_dir, "figure2_seeds")
    reading = READING if os.path.exists(os.path.join(out_dir, READING)) else None
    with open(base + ".md", "w") as file:
        file.write(report(rows, groups, ",".join(map(str, seeds)), sample_images,
                          decision_steps(rows, curves, attacked, steps), traces, restarts, references, reading))
    _, splits = correlations(rows, groups)
    pooled = sum(row["curve"] in attacked for row in rows)
    pooled_name = next(iter(groups))
    panels = [(key, HEADERS[key], splits[key][0],
               f"best split ({pooled_name}): {splits[key][2]}/{pooled} misplaced")
              for key in dict.fromkeys([plot_feature.replace("@last", "@stop"), plot_feature])]
    plot_seeds(rows, panels, curves, base + ".png", recovered_accuracy=None,  # "left" is no fixed accuracy
               attack_stop=rows[0]["stop"], restarts=plotted_restarts(restarts),
               title=f"Figure 2 (paper preset), seeds {','.join(map(str, sorted({r['seed'] for r in rows})))}: "
                     f"the runs at the end of the attack (step {rows[0]['stop']}) and at the end")
    return rows, [base + ".md", base + ".png"]


FLAGS = flags.FlagValues()
flags.DEFINE_string("seeds", "1-10", "Seeds: a range 1-10, a list 1,2,3, or both (1-5,8).", flag_values=FLAGS)
flags.DEFINE_string("results_dir", "results", "The figure's runs are <results_dir>/paper/<run> (read only).",
                    flag_values=FLAGS)
flags.DEFINE_string("work_dir", "/tmp/figure2_seeds", "The 50-step prefixes are trained into <work_dir>/paper/.",
                    flag_values=FLAGS)
command_line.define_run_flags(FLAGS, names=["data_dir"])
flags.DEFINE_string("out_dir", os.path.join("docs", "reproduction"), "Writes figure2_seeds.md and .png here.",
                    flag_values=FLAGS)
flags.DEFINE_list("rules", list(RULES), f"Attacked curves of Figure 2 to study (of {', '.join(RULES)}).",
                  flag_values=FLAGS)
flags.DEFINE_integer("sample_images", 2000, "Dead units are counted on the first this many test images.",
                     flag_values=FLAGS)
flags.DEFINE_enum("plot_feature", "live@last", list(FEATURES), "The feature plotted against the final accuracy "
                  "(with its step-50 twin).", flag_values=FLAGS)
flags.DEFINE_list("trace", [], "Runs to re-train with their state every --trace_every steps, as seed:rule "
                  "(e.g. 1:krum,2:krum).", flag_values=FLAGS)
flags.DEFINE_integer("trace_every", 100, "Steps between the traced states.", flag_values=FLAGS)
flags.DEFINE_list("reseed", [], "Runs to restart from their state at the attack's end with the mini-batches of "
                  "other seeds (--reseed_seeds), as seed:rule.", flag_values=FLAGS)
flags.DEFINE_string("reseed_seeds", "101-104", "The data seeds of the restarts.", flag_values=FLAGS)


def main(argv):
    del argv  # no positional arguments (`command_line.run`)
    try:
        seeds = parse_seeds(FLAGS.seeds)
        unknown = [rule for rule in FLAGS.rules if rule not in RULES]
        if unknown or not FLAGS.rules:
            raise ValueError(f"--rules takes Figure 2's attacked rules {', '.join(sorted(RULES))}, got "
                             f"{','.join(FLAGS.rules)}")
        if FLAGS.sample_images < 1:
            raise ValueError(f"--sample_images must be >= 1, got {FLAGS.sample_images}")
        if FLAGS.trace_every < 1:
            raise ValueError(f"--trace_every must be >= 1, got {FLAGS.trace_every}")
        traced = parse_traces(FLAGS.trace, "--trace")
        reseeded = parse_traces(FLAGS.reseed, "--reseed")
        data_seeds = parse_seeds(FLAGS.reseed_seeds, "--reseed_seeds")
        _, paths = run_study(seeds, FLAGS.results_dir, FLAGS.work_dir, FLAGS.data_dir, FLAGS.out_dir,
                             FLAGS.rules, FLAGS.sample_images, FLAGS.plot_feature, traced, FLAGS.trace_every,
                             reseeded, data_seeds)
    except ValueError as error:
        command_line.fail(str(error))
    print("wrote " + ", ".join(paths))
