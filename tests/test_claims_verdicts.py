"""Every claim of `experiments.paper.claims`, Figures 2 to 8: a hand-made set of runs (final accuracies,
or accuracy curves where the check reads the curve) on which it holds, and for each of its conditions one
on which it fails.

Each case sits half a point (or half a percent) from the claim's threshold, on its side, so that
a verdict forced to "holds", a comparison turned around or a threshold moved by one point changes
at least one verdict here. Thresholds (claims.py): SAME_POINTS = 5 ("the same accuracy": at most 5
points below Average at the end), INEFFECTIVE_POINTS = 20 (ineffective at an evaluation: at least 20
points below Average at the same step; Figures 2 and 7: at every evaluation from step 50 on),
USELESS_ACCURACY = 0.2 (at most 20%), Krum's relative decrease within [16.5%, 66%], SLOWER_POINTS = 1
(Figure 4 at eta0 = 0.2: "slower" when the mean gap below Average over the run is above 1 point, "not
affected" at most 1 point); Figure 6: from the batch size named on, Bulyan within 5 points of Average,
its gap shrinking with the batch size (Kendall's one-sided exact p <= 0.05 from the smallest batch where
Average did not diverge), Average above 20%.
"""

import math


import numpy as np
import pytest

from experiments.paper import claims, settings


def metrics(final, steps=10, diverged=False):
    """A run's metrics: accuracy 0.1 at step 0 and `final` at the last step; a NaN training loss
    from step 4 on when `diverged`."""
    accuracy = np.full(steps + 1, np.nan)
    accuracy[0], accuracy[steps] = 0.1, final
    loss = np.ones(steps + 1)
    if diverged:
        loss[4:] = np.nan
    return {"step": np.arange(steps + 1), "accuracy": accuracy, "train_loss": loss}


def trajectory(points):
    """A run's metrics evaluated at the steps of `points` ({step: accuracy}) only, from step 0 to the last."""
    steps = max(points)
    accuracy = np.full(steps + 1, np.nan)
    for step, value in points.items():
        accuracy[step] = value
    return {"step": np.arange(steps + 1), "accuracy": accuracy, "train_loss": np.ones(steps + 1)}


def run_metrics(value, diverged=False):
    """`metrics` of a final accuracy, or `trajectory` of a curve {step: accuracy}."""
    return trajectory(value) if isinstance(value, dict) else metrics(value, diverged=diverged)


def row_of(claim_id, finals, diverged=()):
    """The claim's row on one seed whose runs are `finals` ({run key: final accuracy or {step: accuracy}})."""
    claim = claims.get(claim_id)
    results = claims.Results(settings.get(claim.figure),
                             {key: run_metrics(value, key in diverged) for key, value in finals.items()})
    row = claims.evaluate_claim(claim, {1: results})
    assert row.seeds == 1 and not row.missing, row.measured
    return row


def verdict(claim_id, finals, diverged=()):
    """The claim's verdict on one seed whose runs are `finals` (`row_of`)."""
    return row_of(claim_id, finals, diverged).verdict


def panel(name, **finals):
    """{(panel, curve): final} with curve ids written with underscores (bulyan_krum)."""
    return {(name, curve.replace("_", "-")): value for curve, value in finals.items()}


def changed(finals, panel_id, **curves):
    """`finals` with the final accuracies of some curves of panel `panel_id` changed."""
    updates = panel(panel_id, **curves)
    assert set(updates) <= set(finals), updates
    return {**finals, **updates}


EVERY_50 = range(50, 1001, 50)  # the evaluations from the attack's end (step 50) to the last (1000)


def curve(before, after, **changes):
    """{step: accuracy}: `before` at steps 0 and 40, `after` at every step of EVERY_50, then `changes`
    ({"at_500": 0.9} sets step 500)."""
    points = {0: before, 40: before, **{step: after for step in EVERY_50}}
    return {**points, **{int(key[3:]): value for key, value in changes.items()}}


def span(low, high, value):
    """{"at_<step>": value} for the steps of EVERY_50 from `low` to `high` (both included)."""
    return {f"at_{step}": value for step in EVERY_50 if low <= step <= high}


# Figure 2 (MNIST, section 5.2.1): Average at 95% from step 50 on; Krum 20.5 points below it at every
# evaluation from step 50 (within 5 points at step 40, before the attack's end: not read), GeoMed at 10%;
# Brute ends 4.5 points below.
AVERAGE2 = curve(0.1, 0.95)
FIG2 = panel("mnist", average=AVERAGE2, krum=curve(0.9, 0.745), geomed=curve(0.1, 0.1), brute=0.905)
# Figure 3 (CIFAR-10): Average 60%; Krum 33% below it (0.402); GeoMed at 19.5%; Brute 4.5 below.
FIG3 = panel("cifar10", average=0.6, krum=0.402, geomed=0.195, brute=0.555)
# Figure 4 (MNIST, section 5.2.2): eta0 = 1 (final accuracies), Krum and GeoMed 20.5 points below
# Average, Bulyan 4.5; eta0 = 0.2 (curves evaluated at steps 0, 250, 500; the mean gap is the trapezoid
# area over 500 steps): Average 10%, 90%, 90%. Krum reaches Average's 90% only at the end (gaps 0, 40, 0
# points: area 20 * 250 + 20 * 250 = 10000, mean 20 > 1: slower; ends level, not ineffective); GeoMed is
# 1.5 points below all along (mean 1.5 > 1: slower); Bulyan 0.5 below all along (mean 0.5 <= 1: not slower,
# ends 0.5 <= 5 below).
AVERAGE02 = {0: 0.1, 250: 0.9, 500: 0.9}


def below(points, reference=AVERAGE02):
    """`reference` lowered by `points` at every evaluation."""
    return {step: value - points / 100 for step, value in reference.items()}


FIG4 = {**panel("eta0=1", average=0.96, krum=0.755, geomed=0.3, bulyan_krum=0.915),
        **panel("eta0=0.2", average=AVERAGE02, krum={0: 0.1, 250: 0.5, 500: 0.9}, geomed=below(1.5),
                bulyan_krum=below(0.5))}
# Figure 5 (CIFAR-10): Bulyan 4.5 points below Average; Krum 5.5 and GeoMed 30 below.
FIG5 = panel("cifar10", average=0.7, krum=0.645, geomed=0.4, bulyan_krum=0.655)
# Figures 7 and 8 (appendix C.1, norm l_inf): Krum, GeoMed and Brute all >= 20.5 points below (Figure 7:
# at every evaluation from step 50 on).
FIG7 = panel("mnist", average=AVERAGE2, krum=curve(0.1, 0.745), geomed=curve(0.1, 0.3), brute=curve(0.1, 0.113))
FIG8 = panel("cifar10", average=0.6, krum=0.395, geomed=0.2, brute=0.1)


def cost(panel_id, gaps, average=0.9):
    """Figure 6: Average at `average` for every batch size, Bulyan `gaps[b]` points below it."""
    return {key: value for b, gap in gaps.items()
            for key, value in (((panel_id, "average", b), average),
                               ((panel_id, "bulyan-krum", b), average - gap / 100))}


# Figure 6 (section 5.2.3): the gap closes to <= 5 points from batch 24 (MNIST) / 36 (CIFAR-10) on and
# shrinks at every step (Kendall: 21 of 21 pairs shrink, p = 1 / 7! = 0.0002).
MNIST_GAPS = {1: 30, 3: 20, 6: 12, 12: 8, 24: 4.5, 48: 2, 83: 1}
CIFAR_GAPS = {1: 30, 4: 20, 9: 12, 18: 8, 36: 4.5, 72: 2, 128: 1}
# Within 5 points from the fourth batch on and smaller at the largest batch than at the smallest (the end
# batches alone would say "shrinks"), Spearman's rho -0.43; but 7 of its 21 pairs grow: Kendall's tau
# (7 - 14) / 21 = -1/3, p = P(at least 14 inversions of 7 values) = 961 / 5040 = 0.19 > 0.05.
OSCILLATING = (12, 2, 11, 3, 4.5, 1, 4)

# claim id -> (finals on which it holds, {what goes wrong: finals on which it fails}).
CASES = {
    "figure2-krum-geomed-ineffective": (FIG2, {
        "Krum only 19.5 points below at every evaluation": changed(FIG2, "mnist", krum=curve(0.1, 0.755)),
        "GeoMed 19.5 points below at the end only": changed(FIG2, "mnist", geomed=curve(0.1, 0.1, at_1000=0.755)),
        "Krum 19.5 points below at one evaluation (step 500)": changed(FIG2, "mnist",
                                                                      krum=curve(0.9, 0.745, at_500=0.755)),
        # the three below end at least 20 points below Average: the last step alone would say "holds"
        "Krum recovers at steps 400-600, then falls back": changed(FIG2, "mnist",
                                                                  krum=curve(0.2, 0.2, **span(400, 600, 0.9))),
        "Krum low at the end only, after recovering from step 100": changed(FIG2, "mnist", krum=curve(
            0.2, 0.2, **span(100, 950, 0.9))),
        "GeoMed recovers at step 50, right at the attack's end": changed(FIG2, "mnist",
                                                                        geomed=curve(0.1, 0.1, at_50=0.9))}),
    "figure2-brute-preserved": (FIG2, {
        "Brute 5.5 points below": changed(FIG2, "mnist", brute=0.895)}),
    "figure3-brute-preserved": (FIG3, {
        "Brute 5.5 points below": changed(FIG3, "cifar10", brute=0.545)}),
    "figure3-krum-decrease": (FIG3, {
        # decreases (0.6 - Krum) / 0.6: 16% and 67%, just outside [16.5%, 66%]
        "a 16% decrease": changed(FIG3, "cifar10", krum=0.504),
        "a 67% decrease": changed(FIG3, "cifar10", krum=0.198)}),
    "figure3-geomed-useless": (FIG3, {
        "GeoMed at 20.5%": changed(FIG3, "cifar10", geomed=0.205)}),
    "figure4-krum-geomed-ineffective": (FIG4, {
        "Krum only 19.5 points below": changed(FIG4, "eta0=1", krum=0.765),
        "GeoMed only 19.5 points below": changed(FIG4, "eta0=1", geomed=0.765)}),
    "figure4-krum-geomed-slower": (FIG4, {
        "Krum ends 20.5 points below: ineffective": changed(FIG4, "eta0=0.2", krum={0: 0.1, 250: 0.5, 500: 0.695}),
        "GeoMed 0.5 points below all along": changed(FIG4, "eta0=0.2", geomed=below(0.5)),
        "GeoMed as good as Average": changed(FIG4, "eta0=0.2", geomed=AVERAGE02),
        "GeoMed above Average": changed(FIG4, "eta0=0.2", geomed=below(-2)),
        # as fast as Average until step 250, 2.4 points below at step 500: mean (0 + 2.4) / 2 * 250 / 500
        # = 0.6 <= 1; ending below Average alone would say "slower"
        "Krum 2.4 points below at the end only": changed(FIG4, "eta0=0.2", krum={0: 0.1, 250: 0.9, 500: 0.876})}),
    "figure4-bulyan-unaffected": (FIG4, {
        "Bulyan 5.5 points below at eta0 = 1": changed(FIG4, "eta0=1", bulyan_krum=0.905),
        "Bulyan ends 5.5 points below at eta0 = 0.2": changed(FIG4, "eta0=0.2",
                                                              bulyan_krum={0: 0.1, 250: 0.9, 500: 0.845}),
        # as slow as GeoMed above, though within 5 points at the end
        "Bulyan 1.5 points below all along at eta0 = 0.2": changed(FIG4, "eta0=0.2", bulyan_krum=below(1.5))}),
    "figure5-only-bulyan-unaffected": (FIG5, {
        "Bulyan 5.5 points below": changed(FIG5, "cifar10", bulyan_krum=0.645),
        "Krum only 4.5 points below": changed(FIG5, "cifar10", krum=0.655),
        "GeoMed only 4.5 points below": changed(FIG5, "cifar10", geomed=0.655)}),
    "figure6-mnist-cost": (cost("mnist", MNIST_GAPS), {
        "5.5 points at batch 24": cost("mnist", {**MNIST_GAPS, 24: 5.5}),
        "5.5 points at the largest batch": cost("mnist", {**MNIST_GAPS, 83: 5.5}),
        "the gap grows with the batch": cost("mnist", {b: b / 100 for b in MNIST_GAPS}),
        "the gap is flat at 4.5 points": cost("mnist", {b: 4.5 for b in MNIST_GAPS}),
        "the gap oscillates": cost("mnist", dict(zip(MNIST_GAPS, OSCILLATING))),
        "Average at 20%: nothing learned": cost("mnist", {b: 0 for b in MNIST_GAPS}, average=0.2)}),
    "figure6-cifar10-cost": (cost("cifar10", CIFAR_GAPS), {
        "5.5 points at batch 36": cost("cifar10", {**CIFAR_GAPS, 36: 5.5}),
        "5.5 points at the largest batch": cost("cifar10", {**CIFAR_GAPS, 128: 5.5}),
        "the gap grows with the batch": cost("cifar10", {b: b / 100 for b in CIFAR_GAPS}),
        "the gap is flat at 4.5 points": cost("cifar10", {b: 4.5 for b in CIFAR_GAPS}),
        "the gap oscillates": cost("cifar10", dict(zip(CIFAR_GAPS, OSCILLATING))),
        "Average at 20%: nothing learned": cost("cifar10", {b: 0 for b in CIFAR_GAPS}, average=0.2)}),
    "figure7-all-ineffective": (FIG7, {
        "Krum only 19.5 points below": changed(FIG7, "mnist", krum=curve(0.1, 0.755)),
        "GeoMed only 19.5 points below": changed(FIG7, "mnist", geomed=curve(0.1, 0.755)),
        "Brute only 19.5 points below": changed(FIG7, "mnist", brute=curve(0.1, 0.755)),
        "Brute recovers at steps 400-600, then falls back": changed(FIG7, "mnist",
                                                                   brute=curve(0.1, 0.113, **span(400, 600, 0.9)))}),
    "figure8-all-ineffective": (FIG8, {
        "Krum only 19.5 points below": changed(FIG8, "cifar10", krum=0.405),
        "GeoMed only 19.5 points below": changed(FIG8, "cifar10", geomed=0.405),
        "Brute only 19.5 points below": changed(FIG8, "cifar10", brute=0.405)}),
}


def test_every_claim_of_every_figure_has_cases():
    assert sorted(CASES) == sorted(claim.id for claim in claims.CLAIMS)
    assert {claims.get(claim_id).figure for claim_id in CASES} == set(range(2, 9))


@pytest.mark.parametrize("claim_id", sorted(CASES))
def test_claim_holds(claim_id):
    assert verdict(claim_id, CASES[claim_id][0]) == "holds"


FAILING = [(claim_id, reason) for claim_id, (_, fails) in sorted(CASES.items()) for reason in fails]


@pytest.mark.parametrize("claim_id, reason", FAILING, ids=[f"{c}: {r}" for c, r in FAILING])
def test_claim_fails(claim_id, reason):
    assert verdict(claim_id, CASES[claim_id][1][reason]) == "does not hold"


def test_figure_tables_show_every_claim_with_its_verdict():
    """claims.evaluate on a whole figure: one row per claim, each verdict as its own case says."""
    by_figure = {}
    for claim_id, (finals, _) in CASES.items():
        by_figure.setdefault(claims.get(claim_id).figure, {}).update(finals)
    for number, finals in by_figure.items():
        results = claims.Results(settings.get(number), {key: run_metrics(v) for key, v in finals.items()})
        rows, table = claims.evaluate(number, {1: results}, "preset: test")
        assert [row.claim.id for row in rows] == [c.id for c in claims.for_figure(number)]
        assert all(row.verdict == "holds" for row in rows), [(r.claim.id, r.measured) for r in rows]
        assert table.count("holds in 1 of 1 seed (95% CI 21%-100%): **holds**") == len(rows)


@pytest.mark.parametrize("claim_id, batches", [("figure6-mnist-cost", MNIST_GAPS),
                                                ("figure6-cifar10-cost", CIFAR_GAPS)])
def test_figure6_compares_from_the_smallest_batch_where_average_did_not_diverge(claim_id, batches):
    # Average and Bulyan diverge at the two smallest batches (gap 0 there): the gap is compared
    # from the third batch on. 12 points there >= 1 point at the largest: holds; with
    # 0.5 points at the third batch, the gap grew: does not hold. Every Average diverged: no
    # batch shows the cost, does not hold.
    panel_id = "mnist" if "mnist" in claim_id else "cifar10"
    sizes = sorted(batches)
    gaps = {**batches, sizes[0]: 0, sizes[1]: 0}
    diverged = {(panel_id, curve, b) for b in sizes[:2] for curve in ("average", "bulyan-krum")}
    assert verdict(claim_id, cost(panel_id, gaps), diverged) == "holds"
    assert verdict(claim_id, cost(panel_id, {**gaps, sizes[2]: 0.5}), diverged) == "does not hold"
    every = {(panel_id, "average", b) for b in sizes}
    assert verdict(claim_id, cost(panel_id, gaps), every) == "does not hold"


# --- Figure 2's "sub-space of ineffective models that SGD did not succeed in leaving" ------------------


def stayed(run):
    """claims.stayed_ineffective of a Figure 2 curve against AVERAGE2, from step 50 (the attack's end)."""
    return claims.stayed_ineffective(trajectory(run), trajectory(AVERAGE2), 50)


def test_a_run_low_from_step_50_to_1000_stayed():
    assert stayed(curve(0.1, 0.2))  # 75 points below at every evaluation
    assert stayed(curve(0.9, 0.745))  # 20.5 points below; step 40 (0.9) is before the attack's end
    assert list(claims.gaps_after(trajectory(curve(0.1, 0.745, at_1000=0.5)), trajectory(AVERAGE2), 50)) \
        == pytest.approx([20.5] * 19 + [45.0])  # steps 50, 100, ..., 1000


def test_a_run_that_recovers_mid_way_and_falls_back_left():
    recovers = curve(0.2, 0.2, **span(400, 600, 0.9))  # 5 points below at steps 400-600, 75 elsewhere
    assert not stayed(recovers)
    assert claims.ineffective(100 * (0.95 - claims.final_accuracy(trajectory(recovers))))  # the last step alone
    assert not stayed(curve(0.2, 0.2, at_700=0.755))  # one evaluation 19.5 points below is enough


def test_a_run_low_at_the_end_only_after_a_recovery_left():
    late = curve(0.2, 0.2, **span(100, 950, 0.9))  # ineffective at steps 50 and 1000 only
    assert not stayed(late)
    assert claims.ineffective(100 * (0.95 - claims.final_accuracy(trajectory(late))))


def test_the_claim_reports_the_least_gap_from_the_attacks_end():
    row = row_of("figure2-krum-geomed-ineffective",
                 changed(FIG2, "mnist", krum=curve(0.2, 0.2, **span(400, 600, 0.9))))
    assert row.verdict == "does not hold"
    assert "Krum below Average +75.0 pts" in row.measured  # at the end
    assert "Krum below Average, least from step 50 +5.0 pts" in row.measured
    assert "GeoMed below Average, least from step 50 +85.0 pts" in row.measured


def test_a_run_shorter_than_the_attack_is_read_at_its_last_evaluation():
    reference, run = trajectory({0: 0.1, 10: 0.9}), trajectory({0: 0.1, 10: 0.695})
    assert list(claims.gaps_after(run, reference, 50)) == pytest.approx([20.5])
    assert claims.stayed_ineffective(run, reference, 50)


# --- Figure 4 at eta0 = 0.2: "a uselessly slower learning process" against "not affected" -------------


def mean_gap(run, reference=AVERAGE02):
    return claims.mean_gap(trajectory(run), trajectory(reference))


def test_a_curve_reaching_the_same_final_accuracy_late_is_slower():
    late = {0: 0.1, 250: 0.5, 500: 0.9}  # gaps 0, 40, 0: area 10000 point-steps over 500 steps
    assert mean_gap(late) == pytest.approx(20.0) and claims.slower(mean_gap(late))
    assert verdict("figure4-krum-geomed-slower", changed(FIG4, "eta0=0.2", krum=late, geomed=late)) == "holds"


def test_a_curve_within_half_a_point_all_along_is_not_affected():
    close = below(0.5)
    assert mean_gap(close) == pytest.approx(0.5) and not claims.slower(mean_gap(close))
    assert verdict("figure4-bulyan-unaffected", changed(FIG4, "eta0=0.2", bulyan_krum=close)) == "holds"
    assert verdict("figure4-krum-geomed-slower", changed(FIG4, "eta0=0.2", krum=close)) == "does not hold"


def test_ending_2_4_points_below_is_slower_only_when_the_curve_lags():
    # The measure is the accuracy gap at a fixed epoch, averaged over the run: a curve as fast as Average
    # that drops 2.4 points at the last evaluation is not slower (mean 0.6); a curve 2.4 points below at
    # every evaluation is (mean 2.4), since at every epoch its accuracy is lower.
    drop = {0: 0.1, 250: 0.9, 500: 0.876}
    assert mean_gap(drop) == pytest.approx(0.6) and not claims.slower(mean_gap(drop))
    assert mean_gap(below(2.4)) == pytest.approx(2.4) and claims.slower(mean_gap(below(2.4)))
    assert verdict("figure4-bulyan-unaffected", changed(FIG4, "eta0=0.2", bulyan_krum=below(2.4))) == "does not hold"


def test_slower_and_not_affected_share_one_boundary():
    for points in (0.5, 0.99, 1.01, 1.5, 2.4):
        run = changed(FIG4, "eta0=0.2", krum=below(points), geomed=below(points), bulyan_krum=below(points))
        verdicts = (verdict("figure4-krum-geomed-slower", run), verdict("figure4-bulyan-unaffected", run))
        assert verdicts == (("holds", "does not hold") if points > 1 else ("does not hold", "holds")), points


def test_mean_gap_uses_the_steps_both_runs_evaluated():
    # trapezoid over steps 0, 100, 300: (0 + 10) / 2 * 100 + (10 + 10) / 2 * 200 = 2500 over 300 steps
    run = {0: 0.1, 100: 0.8, 200: 0.0, 300: 0.8}
    reference = {0: 0.1, 100: 0.9, 300: 0.9}
    assert mean_gap(run, reference) == pytest.approx(2500 / 300)


# --- Figure 3: "a 33% decrease" ---------------------------------------------------------------------------


def test_krums_decrease_is_read_relative_and_reported_in_points_too():
    row = row_of("figure3-krum-decrease", FIG3)  # Average 60%, Krum 40.2%
    assert "Krum's relative decrease from Average 33.0%" in row.measured
    assert "Krum's decrease from Average in points +19.8 pts" in row.measured
    # 10 points below an Average of 30% is a 33% decrease: holds, though far from 33 points
    assert verdict("figure3-krum-decrease", changed(FIG3, "cifar10", average=0.3, krum=0.2)) == "holds"


# --- Figure 6: the gap shrinks with the batch size --------------------------------------------------------


def test_kendall_shrink_on_hand_counted_sequences():
    # orderings of 4 values by inversions: 1, 3, 5, 6, 5, 3, 1 (24 in all); of 7: 1, 6, 20, 49, 98, 169, ...
    assert claims._inversion_counts(4) == [1, 3, 5, 6, 5, 3, 1]
    assert claims._inversion_counts(7)[:6] == [1, 6, 20, 49, 98, 169] and sum(claims._inversion_counts(7)) == 5040
    assert claims.kendall_shrink([4, 3, 2, 1]) == (-1.0, pytest.approx(1 / 24))
    assert claims.kendall_shrink([1, 2, 3, 4]) == (1.0, 1.0)
    assert claims.kendall_shrink([3, 3, 3, 3]) == (0.0, 1.0)  # ties shrink nothing
    # pairs: 2>1 and 4>3 shrink, the other 4 grow: tau (4 - 2) / 6; p = P(>= 2 inversions) = 20 / 24
    assert claims.kendall_shrink([2, 1, 4, 3]) == (pytest.approx(1 / 3), pytest.approx(20 / 24))
    tau, p = claims.kendall_shrink(OSCILLATING)
    assert (tau, p) == (pytest.approx(-1 / 3), pytest.approx(961 / 5040))
    # 7 values: 4 growing pairs (1 < 5, 4, 3, 2; 17 shrink) pass at 5%, 5 (1 < 6, ..., 2; 16 shrink) do not
    assert claims.kendall_shrink([7, 6, 1, 5, 4, 3, 2])[1] == pytest.approx((1 + 6 + 20 + 49 + 98) / 5040)
    assert claims.kendall_shrink([7, 6, 1, 5, 4, 3, 2])[1] <= claims.SHRINK_P
    assert claims.kendall_shrink([7, 1, 6, 5, 4, 3, 2])[1] == pytest.approx(343 / 5040)
    assert claims.kendall_shrink([7, 1, 6, 5, 4, 3, 2])[1] > claims.SHRINK_P
    assert np.isnan(claims.kendall_shrink([5])[0])


@pytest.mark.parametrize("gaps, holds", [
    ((30, 20, 12, 8, 4.5, 2, 1), True),  # steadily shrinking
    ((20, 30, 12, 8, 4.5, 2, 1), True),  # one pair grows among the useless small batches: 20 of 21 shrink
    ((4.5,) * 7, False),  # flat
    ((0.5, 1, 1.5, 2, 2.5, 3, 3.5), False),  # rising
    (OSCILLATING, False),
    ((4.9, 1, 4.8, 2, 4.7, 3, 0.5), False),  # oscillating, and smallest at the largest batch
])
def test_the_gap_must_shrink_over_every_batch_size(gaps, holds):
    finals = cost("mnist", dict(zip(MNIST_GAPS, gaps)))
    assert verdict("figure6-mnist-cost", finals) == ("holds" if holds else "does not hold")


# --- "holds in k of S seeds (95% CI ...)" -------------------------------------------------------------------


def wilson(k, n, z=1.959963984540054):
    """The Wilson score interval, transcribed from Wilson (1927): (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²))
    / (1 + z²/n)."""
    p = k / n
    root = z * math.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2))
    return ((p + z ** 2 / (2 * n) - root) / (1 + z ** 2 / n), (p + z ** 2 / (2 * n) + root) / (1 + z ** 2 / n))


@pytest.mark.parametrize("k, n, low, high", [
    (0, 1, 0.0, 0.7935),  # k = 0: (0, z² / (n + z²)) = 3.8415 / 4.8415
    (1, 1, 0.2065, 1.0),  # k = n: (n / (n + z²), 1) = 1 / 4.8415
    (5, 10, 0.2366, 0.7634),  # 0.5 ± 1.96 * sqrt(0.025 + 0.0096) / 1.3841
    (10, 10, 0.7225, 1.0),  # 10 / 13.8415
    (4, 10, 0.1682, 0.6873),
])
def test_wilson_interval_against_hand_values(k, n, low, high):
    assert claims.wilson_interval(k, n) == (pytest.approx(low, abs=1e-4), pytest.approx(high, abs=1e-4))
    assert claims.wilson_interval(k, n) == pytest.approx(wilson(k, n), abs=1e-12)


def test_verdict_text_carries_the_interval():
    claim = claims.get("figure2-brute-preserved")
    assert claims.Row(claim, "", 4, 10, []).verdict_text == "holds in 4 of 10 seeds (95% CI 17%-69%): **does not hold**"
    assert claims.Row(claim, "", 1, 1, []).verdict_text == "holds in 1 of 1 seed (95% CI 21%-100%): **holds**"
    assert claims.Row(claim, "", 0, 1, []).verdict_text == "holds in 0 of 1 seed (95% CI 0%-79%): **does not hold**"
    assert claims.Row(claim, "", 5, 10, []).verdict_text == "holds in 5 of 10 seeds (95% CI 24%-76%): **does not hold**"
    assert claims.Row(claim, "", 0, 0, [1]).verdict_text == "not measured"
    with pytest.raises(ValueError, match="at least one trial"):
        claims.wilson_interval(0, 0)


def test_rows_name_the_trend_and_the_mean_gaps():
    figure6 = row_of("figure6-mnist-cost", cost("mnist", MNIST_GAPS)).measured
    assert "trend from batch 1; Kendall τ (batch, gap) -1; one-sided p 0.000198" in figure6
    figure4 = row_of("figure4-krum-geomed-slower", FIG4).measured
    assert "Krum below Average, mean over the run +20.0 pts" in figure4
    assert "GeoMed below Average, mean over the run +1.5 pts" in figure4
    bulyan = row_of("figure4-bulyan-unaffected", FIG4).measured
    assert "η0 = 0.2: Bulyan (A = Krum) below Average, mean over the run +0.5 pts" in bulyan
