"""The published results, as data: each sentence of the paper that states a result, and its check.

The paper gives no numeric tables; its text states results. Each `Claim` keeps the sentence and its
section, says in words which measurement tests it and with which threshold, and evaluates it on our runs,
one seed at a time: a row of the table gives every measured quantity as median [min, max] over the seeds
and the verdict as "holds in k of S seeds"; the claim holds overall only when k > S / 2.

Thresholds (one place, documented):
- SAME_POINTS = 5: "the same accuracy as averaging", "preserved the accuracy", "not affected": the final
  test accuracy is at most 5 points below the Average reference.
- INEFFECTIVE_POINTS = 20: "a sub-space of ineffective models", "fail to prevent the attack": the final
  accuracy is at least 20 points below the Average reference.
- USELESS_ACCURACY = 0.2: "failed to produce a useful model": final accuracy at most 20% (chance is 10%).
- "Krum suffered a 33% decrease": the relative decrease (Average - Krum) / Average lies within a factor
  of two of 33%, i.e. in [16.5%, 66%].
Claims find runs by ids (panel "cifar10", curve "krum"; `experiments.paper.settings`) and name them by
their labels, so renaming a label changes the table's words, never a verdict.
"Final" means the last evaluation of the run (step 1000, 500 or 250 under the paper preset; the last step
of a shortened preset, which the table states). A run whose parameters became non-finite is named in its
row as "diverged at step t" (its final accuracy is that of a NaN model: chance). A run still training is
not measured: its row names it "unfinished: Brute (step 40 of 1000)" (the plot draws it as far as it
got), and a run never started "missing: Brute".
"""

import dataclasses

import numpy as np

from training.run_folder import diverged_at

SAME_POINTS = 5.0
INEFFECTIVE_POINTS = 20.0
USELESS_ACCURACY = 0.2
KRUM_DECREASE = (0.165, 0.66)


@dataclasses.dataclass(frozen=True)
class Claim:
    id: str  # stable (the Figure 3 ablation selects claims by id)
    figure: int
    section: str
    sentence: str  # the paper's words
    check: str  # our measurement and threshold, in words
    evaluate: object  # Results -> (quantities [(name, value, unit)], holds: bool)


def final_accuracy(metrics):
    """The last evaluated test accuracy of a run's metrics (dict of arrays, NaN where not evaluated)."""
    accuracy = np.asarray(metrics["accuracy"], dtype=float)
    evaluated = accuracy[~np.isnan(accuracy)]
    if evaluated.size == 0:
        raise ValueError("the run has no evaluated accuracy")
    return float(evaluated[-1])


class Results:
    """The runs of one figure (`experiments.paper.settings.Figure`) for one seed, by run key: `metrics[panel
    id, curve id]` (Figure 6: `[panel id, curve id, batch]`). Claims find runs by ids and name them by the
    figure's labels (`label`). Records which runs a claim read (`used`), so rows can name diverged ones.
    `planned`: the keys planned for this seed (None: all); a claim that needs a run not planned for a
    seed (a panel run on fewer seeds) skips that seed instead of reporting the run missing.
    `unfinished`: {key: (last step on disk or None, steps asked for)} of the runs still training, which
    a claim does not measure but names as unfinished (the plot draws them as far as they got)."""

    def __init__(self, figure, metrics_by_key, planned=None, unfinished=None):
        self.figure = figure
        self.metrics = metrics_by_key
        self.planned = planned
        self.unfinished = dict(unfinished or {})
        self.used = []

    def final(self, panel, curve, batch=None):
        key = (panel, curve) if batch is None else (panel, curve, batch)
        value = final_accuracy(self.metrics[key])
        if key not in self.used:
            self.used.append(key)
        return value

    def label(self, panel, curve):
        """The display label of curve `curve` of panel `panel`."""
        return self.figure.panel(panel).curve(curve).label

    def batches(self, panel, curve):
        """The batch sizes of `curve`'s runs in `panel` (the planned ones when known, so that a missing run
        is reported, not skipped); KeyError when there is none."""
        keys = self.planned if self.planned is not None else self.metrics
        sizes = sorted(key[2] for key in keys if len(key) == 3 and key[:2] == (panel, curve))
        if not sizes:
            raise KeyError((panel, curve))
        return sizes


# Quantities: (name, value, unit); unit "%" for a fraction shown in percent, "pts" for percentage points.
# Claims name runs by ids (panel id, curve id) and quantities by the figure's labels.

def _accuracy(name, value):
    return (name, value, "%")


def _gaps(results, panel, curves, reference, prefix=""):
    """Each curve's final accuracy and the points by which it ends below the reference; quantity names
    start with `prefix` (which tells panels apart in a claim over several)."""
    ref = results.final(panel, reference)
    ref_label = results.label(panel, reference)
    quantities, gaps = [_accuracy(prefix + ref_label, ref)], {}
    for curve in curves:
        accuracy = results.final(panel, curve)
        gaps[curve] = 100 * (ref - accuracy)
        label = results.label(panel, curve)
        quantities += [_accuracy(prefix + label, accuracy),
                       (f"{prefix}{label} below {ref_label}", gaps[curve], "pts")]
    return quantities, gaps


def below_reference(panel, curves, points, reference="average", prefix=""):
    """Each curve's final accuracy is at least `points` below the reference's."""

    def evaluate(results):
        quantities, gaps = _gaps(results, panel, curves, reference, prefix)
        return quantities, all(gap >= points for gap in gaps.values())

    return evaluate


def near_reference(panel, curves, points=SAME_POINTS, reference="average", prefix=""):
    """Each curve's final accuracy is at most `points` below the reference's."""

    def evaluate(results):
        quantities, gaps = _gaps(results, panel, curves, reference, prefix)
        return quantities, all(gap <= points for gap in gaps.values())

    return evaluate


def _all(*evaluations):
    """Every evaluation holds; their quantities once each (the same name is the same quantity: evaluations
    of different panels name theirs with a prefix)."""

    def evaluate(results):
        parts = [e(results) for e in evaluations]
        quantities = []
        for part, _ in parts:
            quantities += [q for q in part if q[0] not in {name for name, _, _ in quantities}]
        return quantities, all(h for _, h in parts)

    return evaluate


def useless(panel, curve):
    def evaluate(results):
        accuracy = results.final(panel, curve)
        return [_accuracy(results.label(panel, curve), accuracy)], accuracy <= USELESS_ACCURACY

    return evaluate


def relative_decrease(panel, curve, bounds, reference="average"):
    def evaluate(results):
        ref, accuracy = results.final(panel, reference), results.final(panel, curve)
        ref_label, label = results.label(panel, reference), results.label(panel, curve)
        decrease = (ref - accuracy) / ref
        return ([_accuracy(ref_label, ref), _accuracy(label, accuracy),
                 (f"{label}'s decrease from {ref_label}", decrease, "%")],
                bounds[0] <= decrease <= bounds[1])

    return evaluate


def learns_but_slower(panel, curves, reference="average", floor=0.5):
    """Each curve learns (final accuracy above `floor`) but ends below the reference."""

    def evaluate(results):
        ref = results.final(panel, reference)
        finals = {curve: results.final(panel, curve) for curve in curves}
        quantities = [_accuracy(results.label(panel, reference), ref)] + [
            _accuracy(results.label(panel, curve), value) for curve, value in finals.items()]
        return quantities, all(floor < v < ref for v in finals.values())

    return evaluate


def bulyan_cost(panel, batch, points=SAME_POINTS, curve="bulyan-krum", reference="average"):
    """Figure 6: from `batch` images per worker on, Bulyan is within `points` of Average at step 250,
    and its gap at the smallest batch is at least its gap at the largest; Average must have learned
    (above USELESS_ACCURACY at the largest batch), otherwise the check cannot hold. A batch size at
    which Average itself diverged shows no cost of Bulyan: the smallest batch compared is then the
    smallest at which Average did not diverge."""

    def evaluate(results):
        sizes = results.batches(panel, curve)
        gaps = {b: 100 * (results.final(panel, reference, b) - results.final(panel, curve, b)) for b in sizes}
        from_batch = [b for b in sizes if b >= batch] or sizes[-1:]
        learned = results.final(panel, reference, sizes[-1])
        trained = [b for b in sizes if diverged_at(results.metrics[panel, reference, b]) is None]
        quantities = [(f"b={b}", gap, "pts") for b, gap in gaps.items()]
        quantities.append(_accuracy(f"{results.label(panel, reference)} at b={sizes[-1]}", learned))
        holds = (all(gaps[b] <= points for b in from_batch) and bool(trained)
                 and gaps[trained[0]] >= gaps[sizes[-1]])
        # a run too short to learn anything (Average at chance) cannot show a cost: not a "holds"
        return quantities, holds and learned > USELESS_ACCURACY

    return evaluate


CLAIMS = (
    Claim("figure2-krum-geomed-ineffective", 2, "5.2.1",
          "except for Brute, this short attack phase at the beginning of the learning process is "
          "sufficient to put the parameter vector in a sub-space of ineffective models that SGD did "
          "not succeed in leaving for at least 950 epochs.",
          f"Krum and GeoMed end >= {INEFFECTIVE_POINTS:g} points below Average",
          below_reference("mnist", ["krum", "geomed"], INEFFECTIVE_POINTS)),
    Claim("figure2-brute-preserved", 2, "5.2.1", "... except for Brute.",
          f"Brute ends <= {SAME_POINTS:g} points below Average",
          near_reference("mnist", ["brute"])),
    Claim("figure3-brute-preserved", 3, "5.2.1", "Only Brute preserved the accuracy.",
          f"Brute ends <= {SAME_POINTS:g} points below Average",
          near_reference("cifar10", ["brute"])),
    Claim("figure3-krum-decrease", 3, "5.2.1", "Krum suffered a 33% decrease at epoch 1000.",
          "Krum's relative decrease from Average is within a factor 2 of 33% (16.5% to 66%)",
          relative_decrease("cifar10", "krum", KRUM_DECREASE)),
    Claim("figure3-geomed-useless", 3, "5.2.1", "GeoMed failed to produce a useful model.",
          f"GeoMed ends at <= {100 * USELESS_ACCURACY:.0f}% accuracy",
          useless("cifar10", "geomed")),
    Claim("figure4-krum-geomed-ineffective", 4, "5.2.2",
          "With eta0 = 1, Krum and GeoMed fail to prevent the attack from pushing the model into an "
          "ineffective state.",
          f"eta0 = 1: Krum and GeoMed end >= {INEFFECTIVE_POINTS:g} points below Average",
          below_reference("eta0=1", ["krum", "geomed"], INEFFECTIVE_POINTS)),
    Claim("figure4-krum-geomed-slower", 4, "5.2.2",
          "With eta0 = 0.2, Krum and GeoMed support the attack, at the cost of a uselessly slower "
          "learning process.",
          "eta0 = 0.2: Krum and GeoMed end above 50% accuracy but below Average",
          learns_but_slower("eta0=0.2", ["krum", "geomed"])),
    Claim("figure4-bulyan-unaffected", 4, "5.2.2",
          "Bulyan is not affected by the attack, and achieves the same accuracy as if it averages "
          "only the non-Byzantine gradients.",
          f"Bulyan ends <= {SAME_POINTS:g} points below Average, for both eta0",
          _all(near_reference("eta0=1", ["bulyan-krum"], prefix="η0 = 1: "),
               near_reference("eta0=0.2", ["bulyan-krum"], prefix="η0 = 0.2: "))),
    Claim("figure5-only-bulyan-unaffected", 5, "5.2.2", "As with MNIST, only Bulyan is not affected by our attack.",
          f"Bulyan ends <= {SAME_POINTS:g} points below Average; Krum and GeoMed end > {SAME_POINTS:g} below",
          _all(near_reference("cifar10", ["bulyan-krum"]),
               below_reference("cifar10", ["krum", "geomed"], SAME_POINTS + 1e-9))),
    Claim("figure6-mnist-cost", 6, "5.2.3",
          "Without Byzantine workers, the loss in convergence speed induced by Bulyan is minimized "
          "with a reasonable batch size: 24 images/batch for MNIST",
          f"MNIST: from batch 24 on, Bulyan is <= {SAME_POINTS:g} points below Average at the last step; "
          "its gap shrinks from the smallest batch (at which Average did not diverge) to the largest",
          bulyan_cost("mnist", 24)),
    Claim("figure6-cifar10-cost", 6, "5.2.3", "... and 36 for CIFAR-10.",
          f"CIFAR-10: from batch 36 on (or the largest batch of the preset), Bulyan is <= {SAME_POINTS:g} points "
          "below Average; its gap shrinks from the smallest batch (at which Average did not diverge) "
          "to the largest",
          bulyan_cost("cifar10", 36)),
    Claim("figure7-all-ineffective", 7, "C.1",
          "None of the presented gradient aggregation rules prevented the stochastic gradient descent "
          "from being pushed and remaining in a sub-space of ineffective models, and for at least "
          "1000 epochs.",
          f"Krum, GeoMed and Brute (norm inf) end >= {INEFFECTIVE_POINTS:g} points below Average",
          below_reference("mnist", ["krum", "geomed", "brute"], INEFFECTIVE_POINTS)),
    Claim("figure8-all-ineffective", 8, "C.1",
          "Again, none of the presented gradient aggregation rules prevented the stochastic gradient "
          "descent from being pushed and remaining in a sub-space of ineffective models, for at "
          "least 1000 epochs.",
          f"Krum, GeoMed and Brute (norm inf) end >= {INEFFECTIVE_POINTS:g} points below Average",
          below_reference("cifar10", ["krum", "geomed", "brute"], INEFFECTIVE_POINTS)),
)


def get(claim_id):
    """The claim `claim_id`; ValueError naming the claims."""
    for claim in CLAIMS:
        if claim.id == claim_id:
            return claim
    raise ValueError(f"no claim {claim_id!r}; claims: {', '.join(c.id for c in CLAIMS)}")


def for_figure(number):
    """The claims of Figure `number`."""
    return [claim for claim in CLAIMS if claim.figure == number]


def _format(value, unit):
    return f"{100 * value:.1f}%" if unit == "%" else f"{value:+.1f} pts"


def _format_over_seeds(values, unit):
    """One value as it is; several as median [min, max]."""
    if len(values) == 1:
        return _format(values[0], unit)
    low, middle, high = np.min(values), np.median(values), np.max(values)
    return f"{_format(middle, unit)} [{_format(low, unit)}, {_format(high, unit)}]"


@dataclasses.dataclass
class Row:
    claim: Claim
    measured: str  # every quantity over the seeds, then the diverged runs
    holding: int  # seeds on which the claim holds
    seeds: int  # seeds on which it was measured
    missing: list  # seeds without the runs it needs
    unfinished: list = dataclasses.field(default_factory=list)  # seeds whose runs it needs are still training

    @property
    def verdict(self):
        """"holds" / "does not hold" (over the seeds: only with a majority) / "not measured"."""
        if self.seeds == 0:
            return "not measured"
        return "holds" if self.holding > self.seeds / 2 else "does not hold"

    @property
    def verdict_text(self):
        if self.seeds == 0:
            return "not measured"
        unit = "seed" if self.seeds == 1 else "seeds"
        return f"holds in {self.holding} of {self.seeds} {unit}: **{self.verdict}**"


def _progress_text(step, steps):
    return f"step {step} of {steps}" if step is not None else f"no step of {steps} yet"


def _absent_text(label, seed, progress, several):
    """How a claim row names a run it could not read: "Brute (seed 2)", "Brute (step 40 of 1000, seed 2)"."""
    details = ([_progress_text(*progress)] if progress else []) + ([f"seed {seed}"] if several else [])
    return label + (f" ({', '.join(details)})" if details else "")


def evaluate_claim(claim, results_by_seed):
    """Evaluates `claim` on each seed's Results ({seed: Results}) -> Row."""
    quantities, holding, measured_seeds, missing, unfinished, diverged = {}, 0, [], [], [], []
    for seed, results in sorted(results_by_seed.items()):
        results.used = []  # the runs this claim reads, not those of the claims before it
        try:
            measured, holds = claim.evaluate(results)
        except KeyError as key:
            if key.args[0] in results.unfinished:
                unfinished.append((seed, key.args[0]))
            elif results.planned is None or key.args[0] in results.planned:
                missing.append((seed, key.args[0]))
            continue
        measured_seeds.append(seed)
        holding += bool(holds)
        for name, value, unit in measured:
            quantities.setdefault((name, unit), []).append(value)
        for key in results.used:
            step = diverged_at(results.metrics[key])
            if step is not None:
                diverged.append((results.figure.label(key), seed, step))
    parts = [f"{name} {_format_over_seeds(values, unit)}" for (name, unit), values in quantities.items()]
    several = len(results_by_seed) > 1
    for label, seed, step in diverged:
        parts.append(f"**{label} diverged at step {step}**" + (f" (seed {seed})" if several else ""))
    for word, absent in (("unfinished", unfinished), ("missing", missing)):
        if absent:
            parts.append(f"{word}: " + ", ".join(
                _absent_text(results_by_seed[seed].figure.label(key), seed,
                             results_by_seed[seed].unfinished.get(key), several) for seed, key in absent))
    return Row(claim, "; ".join(parts), holding, len(measured_seeds), [seed for seed, _ in missing],
               [seed for seed, _ in unfinished])


def seeds_sentence(seeds):
    """What the table's values and verdicts are over `seeds`."""
    if len(seeds) == 1:
        return (f"One seed ({seeds[0]}): each value is measured on its runs, and a claim holds when it holds "
                "on them.")
    return (f"Seeds: {', '.join(map(str, seeds))}. Measured values: median [min, max] over the seeds. A claim "
            "holds overall when it holds in more than half of the seeds.")


PARTIAL_SENTENCE = ("Claims read finished runs only: a run still training is drawn on the plot as far as it got "
                    "and named in its claims' rows as \"unfinished\", with the step it reached; a run never "
                    "started is named \"missing\" and is not on the plot.")


def evaluate(number, results_by_seed, preset_line, partial=False):
    """Rows and the markdown table of Figure `number`'s claims over the seeds ({seed: Results})."""
    rows = [evaluate_claim(claim, results_by_seed) for claim in for_figure(number)]
    seeds = sorted(results_by_seed)
    title = f"# Figure {number}: the paper's claims against our runs"
    lines = [title + (" (PARTIAL: some runs are missing or unfinished)" if partial else ""), "",
             preset_line, "",
             seeds_sentence(seeds) + (" " + PARTIAL_SENTENCE if partial else ""), "",
             "| section | the paper says | our check | measured | verdict |", "|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row.claim.section} | {row.claim.sentence} | {row.claim.check} | {row.measured} | "
                     f"{row.verdict_text} |")
    return rows, "\n".join(lines) + "\n"
