"""The published results, as data: each sentence of the paper that states a result, and its check.

The paper gives no numeric tables; its text states results. Each `Claim` keeps the sentence and its
section, says in words which measurement tests it and with which threshold, and evaluates it on our runs,
one seed at a time: a row of the table gives every measured quantity as median [min, max] over the seeds
and the verdict as "holds in k of S seeds"; the claim holds overall only when k > S / 2.

Thresholds and definitions (one place, documented):
- SAME_POINTS = 5: "the same accuracy as averaging", "preserved the accuracy": the final test accuracy is at
  most 5 points below the Average reference.
- INEFFECTIVE_POINTS = 20: a run is ineffective at an evaluation when its test accuracy is at least 20
  points below Average's at the same step (`ineffective`). It "did not succeed in leaving" the sub-space
  of ineffective models when it is ineffective at every evaluation from the attack's end (step 50) to its
  last (`stayed_ineffective`, Figures 2 and 7; `experiments/paper/figure2_seeds.py` uses the same
  definition); "pushing the model into an ineffective state" (Figure 4) and Figure 8's "remaining" (its
  attack never stops) read the last evaluation.
- SLOWER_POINTS = 1: "a uselessly slower learning process" (Figure 4, eta0 = 0.2): the area between
  Average's accuracy curve and the run's, divided by the run's steps (the mean gap over the run, in
  points), is above 1 point; at most 1 point is "not affected". One measure, one boundary: no curve is both.
- SHRINK_P = 0.05: Figure 6's "loss ... is minimized with a reasonable batch size": the gap to Average
  shrinks with the batch size over every batch from the smallest at which Average trains, Kendall's tau
  negative with a one-sided exact p at most 0.05.
- USELESS_ACCURACY = 0.2: "failed to produce a useful model": final accuracy at most 20% (chance is 10%).
- "Krum suffered a 33% decrease": the relative decrease (Average - Krum) / Average lies within a factor
  of two of 33%, i.e. in [16.5%, 66%]; the decrease in points is reported beside it.
Each verdict "holds in k of S seeds" carries the 95% Wilson score interval of the share of seeds on which
the claim holds.
Claims find runs by ids (panel "cifar10", curve "krum"; `experiments.paper.settings`) and name them by
their labels, so renaming a label changes the table's words, never a verdict.
"Final" means the last evaluation of the run (step 1000, 500 or 250 under the paper preset; the last step
of a shortened preset, which the table states). A run whose parameters became non-finite is named in its
row as "diverged at step t" (its final accuracy is that of a NaN model: chance). A run still training is
not measured: its row names it "unfinished: Brute (step 40 of 1000)" (the plot draws it as far as it
got), and a run never started "missing: Brute".
"""

import dataclasses
import math

import numpy as np

from training.run_folder import diverged_at

SAME_POINTS = 5.0
INEFFECTIVE_POINTS = 20.0
USELESS_ACCURACY = 0.2
# "Krum suffered a 33% decrease at epoch 1000." A decrease in percent is read as relative to Average's
# accuracy (a change of a percentage in points would be "33 points"); the paper's one number is read off
# one run's plot, so the window accepts half to double of it: the same order of effect, no more precision
# than one run gives. The decrease in points is reported beside it.
KRUM_DECREASE = (0.165, 0.66)
# "a uselessly slower learning process" / "not affected": the paper defines convergence speed as "the
# accuracy the model reaches at a fixed, arbitrary epoch" (section 5.2.3); no epoch being privileged, the
# measure is that accuracy gap averaged over every epoch of the run (the area between the curves divided by
# the steps). The paper gives no size for "slower"; the boundary is the measurement's resolution, not the
# published curves: the standard error of a difference of two test accuracies on MNIST's 10,000 test images
# near 90% is sqrt(2 * 0.9 * 0.1 / 10000) = 0.42 points, and Average's final accuracy varies by 0.3 points
# over our seeds at eta0 = 0.2; 1 point is over twice the one and three times the other. Below it a curve
# cannot be told from a rerun of Average ("not affected"); above it, it is "slower".
SLOWER_POINTS = 1.0
# Figure 6's trend: the chance that the gaps of a random ordering shrink as consistently with the batch size
# (Kendall's exact one-sided test) is at most 5%, the usual level; with 7 batch sizes it allows up to 4
# pairs of batch sizes in which the gap grows; with 3 or fewer batch sizes no ordering reaches it, and the
# check compares the two ends instead (the shortened presets).
SHRINK_P = 0.05
TREND_MIN_BATCHES = 4  # the fewest batch sizes whose p (1/4! = 0.042 at best) can reach SHRINK_P
WILSON_Z = 1.959963984540054  # the 97.5% quantile of the standard normal: a two-sided 95% interval


@dataclasses.dataclass(frozen=True)
class Claim:
    id: str  # stable (the Figure 3 ablation selects claims by id)
    figure: int
    section: str
    sentence: str  # the paper's words
    check: str  # our measurement and threshold, in words
    evaluate: object  # Results -> (quantities [(name, value, unit)], holds: bool)


def evaluations(metrics):
    """(steps, test accuracies) of a run's evaluations: the rows of its metrics whose accuracy is not NaN."""
    accuracy = np.asarray(metrics["accuracy"], dtype=float)
    evaluated = ~np.isnan(accuracy)
    return np.asarray(metrics["step"])[evaluated], accuracy[evaluated]


def final_accuracy(metrics):
    """The last evaluated test accuracy of a run's metrics (dict of arrays, NaN where not evaluated)."""
    _, accuracy = evaluations(metrics)
    if accuracy.size == 0:
        raise ValueError("the run has no evaluated accuracy")
    return float(accuracy[-1])


def gaps_below(metrics, reference):
    """(steps, points below the reference at each step): the steps at which both runs were evaluated."""
    steps, accuracy = evaluations(metrics)
    reference_steps, reference_accuracy = evaluations(reference)
    common, mine, theirs = np.intersect1d(steps, reference_steps, return_indices=True)
    if common.size == 0:
        raise ValueError("the run and its reference share no evaluated step")
    return common, 100 * (reference_accuracy[theirs] - accuracy[mine])


def ineffective(gap):
    """"a sub-space of ineffective models", at one evaluation: the accuracy is at least INEFFECTIVE_POINTS
    below Average's at the same step (`gap`: points below Average)."""
    return gap >= INEFFECTIVE_POINTS


def gaps_after(metrics, reference, start):
    """The points below the reference at the evaluations from step `start` to the last (when the run ends
    before `start`, the last evaluation alone)."""
    steps, gaps = gaps_below(metrics, reference)
    late = steps >= start
    return gaps[late] if late.any() else gaps[-1:]


def stayed_ineffective(metrics, reference, start):
    """"a sub-space of ineffective models that SGD did not succeed in leaving": ineffective at every
    evaluation from step `start` (the attack's end) to the last; one evaluation within INEFFECTIVE_POINTS
    of the reference is a run that left it."""
    return bool(np.all(ineffective(gaps_after(metrics, reference, start))))


def mean_gap(metrics, reference):
    """The area between the reference's accuracy curve and the run's (linear between evaluations) divided
    by the steps from the first common evaluation to the last: the mean points below the reference."""
    steps, gaps = gaps_below(metrics, reference)
    if steps.size == 1:
        return float(gaps[0])
    area = np.sum((gaps[1:] + gaps[:-1]) / 2 * np.diff(steps))
    return float(area / (steps[-1] - steps[0]))


def slower(gap):
    """"a uselessly slower learning process": the mean gap over the run is above SLOWER_POINTS (at most
    SLOWER_POINTS: "not affected")."""
    return gap > SLOWER_POINTS


def _inversion_counts(n):
    """How many orderings of n distinct values have k inversions, k = 0 .. n(n-1)/2 (Mahonian numbers)."""
    counts = [1]
    for size in range(2, n + 1):
        grown = [0] * (len(counts) + size - 1)
        for inversions, count in enumerate(counts):
            for extra in range(size):
                grown[inversions + extra] += count
        counts = grown
    return counts


def kendall_shrink(values):
    """Kendall's tau between position and `values` (a sequence in increasing batch size), and the one-sided
    exact p of a shrink: the share of the orderings of len(values) distinct values with at least as many
    pairs that shrink. A tied pair counts neither way. (NaN, 1.0) for fewer than two values."""
    n = len(values)
    if n < 2:
        return float("nan"), 1.0
    pairs = [(values[i], values[j]) for i in range(n) for j in range(i + 1, n)]
    shrinking = sum(later < earlier for earlier, later in pairs)
    growing = sum(later > earlier for earlier, later in pairs)
    p = sum(_inversion_counts(n)[shrinking:]) / math.factorial(n)
    return (growing - shrinking) / len(pairs), p


def wilson_interval(k, n, z=WILSON_Z):
    """The Wilson score interval (95% with the default z) of a proportion seen k times in n: (low, high)."""
    if n <= 0:
        raise ValueError(f"a proportion needs at least one trial, got n = {n}")
    share = k / n
    scale = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / scale
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / scale
    return max(0.0, centre - half), min(1.0, centre + half)


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

    def run(self, panel, curve, batch=None):
        """The metrics of run (panel, curve[, batch]), recorded as read; KeyError when it is absent."""
        key = (panel, curve) if batch is None else (panel, curve, batch)
        metrics = self.metrics[key]
        if key not in self.used:
            self.used.append(key)
        return metrics

    def final(self, panel, curve, batch=None):
        return final_accuracy(self.run(panel, curve, batch))

    def attack_stop(self, panel):
        """The step at which panel `panel`'s attack stops (None: never)."""
        return self.figure.panel(panel).attack_stop

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


# Quantities: (name, value, unit); unit "%" for a fraction shown in percent, "pts" for percentage points,
# "" for a plain number.
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


def ends_ineffective(panel, curves, reference="average"):
    """"pushing the model into an ineffective state": each curve is `ineffective` at its last evaluation."""

    def evaluate(results):
        quantities, gaps = _gaps(results, panel, curves, reference)
        return quantities, all(ineffective(gap) for gap in gaps.values())

    return evaluate


def stayed_in_subspace(panel, curves, reference="average"):
    """"a sub-space of ineffective models that SGD did not succeed in leaving": each curve is
    `stayed_ineffective` from the panel's attack stop on; the least gap over those evaluations is reported."""

    def evaluate(results):
        quantities, _ = _gaps(results, panel, curves, reference)
        start, ref = results.attack_stop(panel), results.run(panel, reference)
        if start is None:
            raise ValueError(f"panel {panel!r}: its attack never stops, there is no step to stay from")
        ref_label, holds = results.label(panel, reference), True
        for curve in curves:
            metrics = results.run(panel, curve)
            quantities.append((f"{results.label(panel, curve)} below {ref_label}, least from step {start}",
                               float(np.min(gaps_after(metrics, ref, start))), "pts"))
            holds = stayed_ineffective(metrics, ref, start) and holds
        return quantities, holds

    return evaluate


def _mean_gaps(results, panel, curves, reference, prefix=""):
    """Each curve's `mean_gap` below the reference over the run, as quantities and {curve: points}."""
    ref, ref_label = results.run(panel, reference), results.label(panel, reference)
    means = {curve: mean_gap(results.run(panel, curve), ref) for curve in curves}
    return [(f"{prefix}{results.label(panel, curve)} below {ref_label}, mean over the run", value, "pts")
            for curve, value in means.items()], means


def supports_but_slower(panel, curves, reference="average"):
    """"support the attack, at the cost of a uselessly slower learning process": each curve ends outside
    the ineffective sub-space (not `ineffective` at its last evaluation) and is `slower` over the run."""

    def evaluate(results):
        quantities, gaps = _gaps(results, panel, curves, reference)
        speed, means = _mean_gaps(results, panel, curves, reference)
        holds = all(not ineffective(gaps[c]) and slower(means[c]) for c in curves)
        return quantities + speed, holds

    return evaluate


def not_slower(panel, curves, reference="average", prefix=""):
    """"not affected by the attack": no curve is `slower` than the reference over the run."""

    def evaluate(results):
        quantities, means = _mean_gaps(results, panel, curves, reference, prefix)
        return quantities, not any(slower(value) for value in means.values())

    return evaluate


def _all(*checks):
    """Every check holds; their quantities once each (the same name is the same quantity: checks of
    different panels name theirs with a prefix)."""

    def evaluate(results):
        parts = [check(results) for check in checks]
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
    """The decrease (reference - curve) / reference lies within `bounds`; the decrease in points beside it."""

    def evaluate(results):
        ref, accuracy = results.final(panel, reference), results.final(panel, curve)
        ref_label, label = results.label(panel, reference), results.label(panel, curve)
        decrease = (ref - accuracy) / ref
        return ([_accuracy(ref_label, ref), _accuracy(label, accuracy),
                 (f"{label}'s relative decrease from {ref_label}", decrease, "%"),
                 (f"{label}'s decrease from {ref_label} in points", 100 * (ref - accuracy), "pts")],
                bounds[0] <= decrease <= bounds[1])

    return evaluate


def bulyan_cost(panel, batch, points=SAME_POINTS, curve="bulyan-krum", reference="average"):
    """Figure 6: from `batch` images per worker on, Bulyan is within `points` of Average at step 250, and its
    gap shrinks with the batch size over every batch size from the smallest at which Average did not
    diverge to the largest (`kendall_shrink`: p at most SHRINK_P); Average must have learned (above
    USELESS_ACCURACY at the largest batch), otherwise the check cannot hold. A batch size at which Average
    itself diverged shows no cost of Bulyan."""

    def evaluate(results):
        sizes = results.batches(panel, curve)
        gaps = {b: 100 * (results.final(panel, reference, b) - results.final(panel, curve, b)) for b in sizes}
        from_batch = [b for b in sizes if b >= batch] or sizes[-1:]
        learned = results.final(panel, reference, sizes[-1])
        trained = [b for b in sizes if diverged_at(results.metrics[panel, reference, b]) is None]
        trend = [b for b in sizes if trained and b >= trained[0]]
        tau, p = kendall_shrink([gaps[b] for b in trend])
        quantities = [(f"b={b}", gap, "pts") for b, gap in gaps.items()]
        if trend:
            quantities += [("trend from batch", trend[0], ""), ("Kendall τ (batch, gap)", tau, ""),
                           ("one-sided p", p, "")]
        quantities.append(_accuracy(f"{results.label(panel, reference)} at b={sizes[-1]}", learned))
        if len(trend) >= TREND_MIN_BATCHES:
            shrinks = p <= SHRINK_P
        else:  # too few batch sizes for the test to ever reach SHRINK_P (a shortened preset): the two ends
            shrinks = len(trend) >= 2 and gaps[trend[0]] > gaps[trend[-1]]
        holds = all(gaps[b] <= points for b in from_batch) and shrinks
        # a run too short to learn anything (Average at chance) cannot show a cost: not a "holds"
        return quantities, holds and learned > USELESS_ACCURACY

    return evaluate


STAYED = (f"ineffective (>= {INEFFECTIVE_POINTS:g} points below Average at the same step) at every evaluation "
          "from step 50, the attack's end, to the last (a run shorter than that: its last evaluation); one "
          "evaluation closer to Average is a run that left")
SPEED = (f"mean gap below Average over the run (the area between the accuracy curves divided by the steps; "
         f"the paper's convergence speed is the accuracy at a fixed, arbitrary epoch, 5.2.3) > {SLOWER_POINTS:g} "
         "point")
TREND = (f"its gap shrinks with the batch size over every batch from the smallest at which Average did not "
         f"diverge to the largest: Kendall's τ (batch, gap) < 0 with one-sided exact p <= {SHRINK_P:g} (with "
         f"fewer than {TREND_MIN_BATCHES} batch sizes, as in the shortened presets, where p cannot reach that: "
         "the gap at the smallest above the gap at the largest)")

CLAIMS = (
    Claim("figure2-krum-geomed-ineffective", 2, "5.2.1",
          "except for Brute, this short attack phase at the beginning of the learning process is "
          "sufficient to put the parameter vector in a sub-space of ineffective models that SGD did "
          "not succeed in leaving for at least 950 epochs.",
          f"Krum and GeoMed stay {STAYED}",
          stayed_in_subspace("mnist", ["krum", "geomed"])),
    Claim("figure2-brute-preserved", 2, "5.2.1", "... except for Brute.",
          f"Brute ends <= {SAME_POINTS:g} points below Average",
          near_reference("mnist", ["brute"])),
    Claim("figure3-brute-preserved", 3, "5.2.1", "Only Brute preserved the accuracy.",
          f"Brute ends <= {SAME_POINTS:g} points below Average",
          near_reference("cifar10", ["brute"])),
    Claim("figure3-krum-decrease", 3, "5.2.1", "Krum suffered a 33% decrease at epoch 1000.",
          "Krum's decrease relative to Average's accuracy (a decrease in percent, not in points) is within a "
          "factor 2 of 33%: 16.5% to 66%, half to double the paper's number from its one run; the decrease "
          "in points is reported beside it",
          relative_decrease("cifar10", "krum", KRUM_DECREASE)),
    Claim("figure3-geomed-useless", 3, "5.2.1", "GeoMed failed to produce a useful model.",
          f"GeoMed ends at <= {100 * USELESS_ACCURACY:.0f}% accuracy",
          useless("cifar10", "geomed")),
    Claim("figure4-krum-geomed-ineffective", 4, "5.2.2",
          "With eta0 = 1, Krum and GeoMed fail to prevent the attack from pushing the model into an "
          "ineffective state.",
          f"eta0 = 1: Krum and GeoMed are ineffective at the last step: >= {INEFFECTIVE_POINTS:g} points below "
          "Average",
          ends_ineffective("eta0=1", ["krum", "geomed"])),
    Claim("figure4-krum-geomed-slower", 4, "5.2.2",
          "With eta0 = 0.2, Krum and GeoMed support the attack, at the cost of a uselessly slower "
          "learning process.",
          f"eta0 = 0.2: Krum and GeoMed end < {INEFFECTIVE_POINTS:g} points below Average (not ineffective) and "
          f"are slower: {SPEED}",
          supports_but_slower("eta0=0.2", ["krum", "geomed"])),
    Claim("figure4-bulyan-unaffected", 4, "5.2.2",
          "Bulyan is not affected by the attack, and achieves the same accuracy as if it averages "
          "only the non-Byzantine gradients.",
          f"Bulyan ends <= {SAME_POINTS:g} points below Average, for both eta0, and at eta0 = 0.2 it is not "
          f"slower: its mean gap below Average over the run (the measure of Krum's and GeoMed's \"slower\") "
          f"is <= {SLOWER_POINTS:g} point",
          _all(near_reference("eta0=1", ["bulyan-krum"], prefix="η0 = 1: "),
               near_reference("eta0=0.2", ["bulyan-krum"], prefix="η0 = 0.2: "),
               not_slower("eta0=0.2", ["bulyan-krum"], prefix="η0 = 0.2: "))),
    Claim("figure5-only-bulyan-unaffected", 5, "5.2.2", "As with MNIST, only Bulyan is not affected by our attack.",
          f"Bulyan ends <= {SAME_POINTS:g} points below Average; Krum and GeoMed end > {SAME_POINTS:g} below",
          _all(near_reference("cifar10", ["bulyan-krum"]),
               below_reference("cifar10", ["krum", "geomed"], SAME_POINTS + 1e-9))),
    Claim("figure6-mnist-cost", 6, "5.2.3",
          "Without Byzantine workers, the loss in convergence speed induced by Bulyan is minimized "
          "with a reasonable batch size: 24 images/batch for MNIST",
          f"MNIST: from batch 24 on, Bulyan is <= {SAME_POINTS:g} points below Average at the last step; {TREND}",
          bulyan_cost("mnist", 24)),
    Claim("figure6-cifar10-cost", 6, "5.2.3", "... and 36 for CIFAR-10.",
          f"CIFAR-10: from batch 36 on (or the largest batch of the preset), Bulyan is <= {SAME_POINTS:g} points "
          f"below Average; {TREND}",
          bulyan_cost("cifar10", 36)),
    Claim("figure7-all-ineffective", 7, "C.1",
          "None of the presented gradient aggregation rules prevented the stochastic gradient descent "
          "from being pushed and remaining in a sub-space of ineffective models, and for at least "
          "1000 epochs.",
          f"Krum, GeoMed and Brute (norm inf) stay {STAYED}",
          stayed_in_subspace("mnist", ["krum", "geomed", "brute"])),
    Claim("figure8-all-ineffective", 8, "C.1",
          "Again, none of the presented gradient aggregation rules prevented the stochastic gradient "
          "descent from being pushed and remaining in a sub-space of ineffective models, for at "
          "least 1000 epochs.",
          f"Krum, GeoMed and Brute (norm inf) are ineffective at the last step: >= {INEFFECTIVE_POINTS:g} points "
          "below Average (the attack never stops: no step to stay from)",
          ends_ineffective("cifar10", ["krum", "geomed", "brute"])),
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
    """"%": a fraction shown in percent; "pts": percentage points; "": a plain number."""
    if unit == "%":
        return f"{100 * value:.1f}%"
    return f"{value:+.1f} pts" if unit == "pts" else f"{value:.3g}"


def format_over_seeds(values, unit):
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
    def interval(self):
        """The 95% Wilson score interval of the share of seeds on which the claim holds."""
        return wilson_interval(self.holding, self.seeds)

    @property
    def verdict_text(self):
        """"holds in 4 of 10 seeds (95% CI 17%-69%): **does not hold**"."""
        if self.seeds == 0:
            return "not measured"
        unit = "seed" if self.seeds == 1 else "seeds"
        low, high = self.interval
        return f"holds in {self.holding} of {self.seeds} {unit} (95% CI {low:.0%}-{high:.0%}): **{self.verdict}**"


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
    parts = [f"{name} {format_over_seeds(values, unit)}" for (name, unit), values in quantities.items()]
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
                "on them. " + INTERVAL_SENTENCE)
    return (f"Seeds: {', '.join(map(str, seeds))}. Measured values: median [min, max] over the seeds. A claim "
            "holds overall when it holds in more than half of the seeds. " + INTERVAL_SENTENCE)


INTERVAL_SENTENCE = ("\"95% CI\": the 95% Wilson score interval of the share of seeds on which the claim holds, "
                     "from its count of seeds.")


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
