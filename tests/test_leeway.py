"""The leeway study (appendix B): its measurements against the rules themselves, the closed forms,
the fits, the values the plots draw, and `python -m experiments.leeway` end to end on the tiny preset."""

import json
import math
import os
import re

import numpy as np
import pytest
import tensorflow as tf

import aggregators
import attacks
from experiments.leeway import bulyan_claims as leeway_bulyan_claims
from experiments.leeway import claims as leeway_claims
from experiments.leeway import command as leeway
from experiments.leeway import data as leeway_data
from experiments.leeway import measure as leeway_measure
from experiments.leeway import plot_data
from experiments.leeway import stage as leeway_stage
from experiments.leeway import theory as leeway_theory
from training import command_line

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.path.dirname(REPO), "shared", "data")


def context(n, f, gar, **gar_options):
    return attacks.AttackContext(n=n, f=f, gar=gar, gar_options=gar_options, step=tf.constant(0, tf.int64),
                                 params=tf.zeros([1]), seed=tf.zeros([2], tf.int32))


@pytest.mark.parametrize("rule, p, f", [("krum", "2", 2), ("geomed", "inf", 2), ("brute", "2", 3),
                                        ("brute", "inf", 2), ("krum", "inf", 3)])
def test_study_search_is_the_attacks_search(rule, p, f):
    # the study's d-independent tf.function runs `attacks.shift.largest_selected` like the attack
    leeway_search = leeway_measure.Leeway()
    for d in (7, 300):
        honest = np.random.default_rng(d).normal(size=(leeway_measure.workers(rule, f) - f, d)).astype(np.float32)
        gamma, how = leeway_search.gamma_m(rule, p, f, honest)
        ctx = context(len(honest) + f, f, rule, **({} if p == "2" else {"norm": "inf"}))
        name, options = ("lp", {"coordinate": 0}) if p == "2" else ("linf", {})
        attacks.get(name)(tf.constant(honest), ctx, **options)
        assert how == "search" and gamma == float(ctx.logged["gamma"])


def test_large_brute_uses_the_closed_form():
    assert leeway_measure.brute_enumerates(9) and not leeway_measure.brute_enumerates(10)
    honest = np.random.default_rng(0).normal(size=(11, 50))
    gamma, how = leeway_measure.Leeway().gamma_m("brute", "2", 10, honest)
    assert how == "closed form" and gamma > 0


def test_bulyan_column_is_the_rules_output():
    f, d = 2, 25
    honest = np.random.default_rng(3).normal(size=(3 * f + 3, d))
    column = leeway_measure.BulyanColumn(f)
    gammas = [0.05, 0.4, 1.5, 6.0, 40.0]
    bulyan, krum = column(column.prepare(honest), gammas)
    mean = honest.mean(axis=0)
    for g, b, k in zip(gammas, bulyan, krum):
        gradients = np.concatenate([honest, np.tile(mean + g * np.eye(d)[0], (f, 1))])
        assert b == pytest.approx(aggregators.aggregate("bulyan-krum", gradients, f).numpy()[0] - mean[0], abs=1e-12)
        assert k == pytest.approx(aggregators.aggregate("krum", gradients, f).numpy()[0] - mean[0], abs=1e-12)
    assert krum[0] == pytest.approx(gammas[0])  # Krum selects B at small gamma: it moves by gamma
    # the picks: theta = n - 2f values, the copies of B at gamma, the honest ones among coordinate 0 - mean;
    # the stage on them gives the rule's output again
    _, _, picked, honest_rows = column.with_picks(column.prepare(honest), gammas)
    assert picked.shape == honest_rows.shape == (len(gammas), 2 * f + 3)
    for g, b, values, mask in zip(gammas, bulyan, picked, honest_rows):
        assert np.all(values[~mask] == pytest.approx(g)) and set(np.round(values[mask] + mean[0], 9)) <= set(
            np.round(honest[:, 0], 9))
        assert leeway_stage.stage(values, mask, f)["mean"] == pytest.approx(b, abs=1e-12)


def test_paper_closed_forms_hand_computed():
    # B.2: ((1 - 2^(-1)) d)^(1/2) delta_bar; B.3 (b = 0): (((f+1)/2)^(2/q) - 1/2)^(1/2) d^(1/2) delta_bar
    assert leeway_theory.paper("brute", "2", 100, 5, 2.0) == pytest.approx(math.sqrt(50) * 2)
    assert leeway_theory.paper("krum", "2", 100, 5, 1.0) == pytest.approx(math.sqrt(3 - 0.5) * 10)
    assert leeway_theory.paper("geomed", "2", 100, 5, 1.0) == pytest.approx(math.sqrt(9 - 0.5) * 10)
    assert leeway_theory.paper("brute", "inf", 1e6, 5, 3.0) == 3.0
    assert leeway_theory.paper("krum", "inf", 10, 7, 1.0) == pytest.approx(2.0)
    assert leeway_theory.paper("geomed", "inf", 10, 7, 1.0) == pytest.approx(4.0)


def test_slope_fit():
    x = np.array([10, 100, 1000, 10_000] * 3, float)
    slope, error = leeway_theory.slope(x, 3 * x ** 0.5)
    assert slope == pytest.approx(0.5) and error < 1e-9
    noise = np.random.default_rng(0).normal(scale=0.05, size=x.size)
    slope, error = leeway_theory.slope(x, x ** 0.25 * np.exp(noise))
    assert abs(slope - 0.25) < 4 * error and 0 < error < 0.05
    assert math.isnan(leeway_theory.slope([10, 10, 10], [1, 2, 3])[0])


def test_gaussian_distances_are_sqrt_pi_over_2_above_appendix_b():
    # B.1 approximates ||V_i - V_j||_2 by d^(1/2) delta_bar with delta_bar = E|v_i - v_j| = 2 sigma / sqrt(pi);
    # the true value is sqrt(2 d) sigma: a factor sqrt(pi / 2) = 1.2533
    honest, _ = leeway_data.synthetic("iid", 6, 200_000, np.random.default_rng(1))
    stats = leeway_measure.distance_statistics(honest, "2")
    assert stats["delta_bar"] == pytest.approx(2 / math.sqrt(math.pi), rel=0.01)
    assert stats["pair_mean"] / (math.sqrt(200_000) * stats["delta_bar"]) == pytest.approx(math.sqrt(math.pi / 2), rel=0.01)
    assert stats["to_mean"] == pytest.approx(math.sqrt(200_000 * 5 / 6), rel=0.01)


def test_model_matches_krum_on_gaussian_gradients():
    # Krum at n = 2f + 3, large d: 2 (gamma^2 + R^2) = min score, R^2 = (1 - 1/h) d sigma^2
    f, d = 4, 100_000
    honest, _ = leeway_data.synthetic("iid", f + 3, d, np.random.default_rng(2))
    measured, _ = leeway_measure.Leeway().gamma_m("krum", "2", f, honest)
    predicted = leeway_theory.model("krum", "2", f, leeway_measure.distance_statistics(honest, "2"))
    assert measured == pytest.approx(predicted, rel=0.03)
    assert measured == pytest.approx(math.sqrt(d * (f + 1 / (f + 3))), rel=0.03)


def test_mnist_pool_draw_keeps_the_attacked_coordinate_first():
    gradients = np.arange(6 * 50, dtype=np.float32).reshape(6, 50)
    pool = leeway_data.MnistPool(gradients, "init")
    rows = pool.draw(4, 10, np.random.default_rng(0))
    assert rows.shape == (4, 10)
    assert np.all(rows[:, 0] % 50 == 49)  # the last parameter
    columns = rows[0] % 50
    assert len(set(columns.tolist())) == 10 and len(set((rows[:, 0] // 50).tolist())) == 4
    assert np.array_equal(np.sort(pool.draw(2, 50, np.random.default_rng(1))[0] % 50), np.arange(50))
    with pytest.raises(ValueError, match="d = 50 coordinates, got d=51"):
        pool.draw(2, 51, np.random.default_rng(0))


def _stage_entry(d, cases, **extra):
    """A Bulyan draw whose grid has one gamma per case of `cases` (dicts of `stage.stage`)."""
    fields = {key: [case[key] for case in cases] for key in cases[0]}
    return {"d": d, "draw": 0, "f": 2, "n": 11, "stage": fields, **extra}


# theta = 7, beta = 3 (f = 2): honest picks -3, -2.5, -2.2, 0, 1 and two copies of B at 2.1. The median is
# 0; the window starts at 1 and moves right twice (2.5 > 1, then 2.2 > 2.1), keeping (0, 1, 2.1): 3 left-out
# picks below the kept values and 1 above, and 2.1 above every honest pick; the mean 1.0333 exceeds 1.
HAND_VALUES = [-3.0, 2.1, -2.5, 0.0, 1.0, -2.2, 2.1]
HAND_HONEST = [True, False, True, True, True, True, False]


def test_stage_on_a_hand_example():
    case = leeway_stage.stage(HAND_VALUES, HAND_HONEST, f=2)
    assert case["median"] == 0.0 and case["median_honest"]
    assert (case["kept_low"], case["kept_high"]) == (0.0, 2.1) and case["mean"] == pytest.approx(3.1 / 3)
    assert (case["honest_low"], case["honest_high"], case["below"], case["above"]) == (-3.0, 1.0, 3, 1)
    assert leeway_stage.median_bounded(case)  # section 4's sentence: the median 0 lies within [-3, 1]
    assert not leeway_stage.f_on_each_side(case, 2)  # the proof step: 1 < f = 2 left-out picks above
    assert not leeway_stage.kept_between_honest(case)  # no honest pick at or above the kept 2.1
    # B at 1.5: from start 1 (-2.5, -2.2, 0), 2.5 > 1 moves to 2 (-2.2, 0, 1), 2.2 > 1.5 to 3 (0, 1, 1.5)
    moved = leeway_stage.stage([-3.0, 1.5, -2.5, 0.0, 1.0, -2.2, 1.5], HAND_HONEST, f=2)
    assert (moved["kept_low"], moved["kept_high"], moved["below"]) == (0.0, 1.5, 3)
    # B at 3.0: 2.5 > 1 moves to 2 (-2.2, 0, 1), 2.2 < 3 stays: 2 left-out picks on each side
    centred = leeway_stage.stage([-3.0, 3.0, -2.5, 0.0, 1.0, -2.2, 3.0], HAND_HONEST, f=2)
    assert (centred["kept_low"], centred["kept_high"], centred["below"], centred["above"]) == (-2.2, 1.0, 2, 2)
    assert leeway_stage.f_on_each_side(centred, 2) and leeway_stage.kept_between_honest(centred)
    # a Byzantine majority among the picks would put the median on B: outside the honest picks
    assert not leeway_stage.median_bounded(leeway_stage.stage([0.0, 1.0, 5.0, 5.0, 5.0], [True, True, False,
                                                                                            False, False], f=1))


@pytest.mark.parametrize("values", [HAND_VALUES, [1.0, 1.0, 1.0, 0.0, 2.0, 2.0, 0.0],
                                    [0.0, 0.0, 0.0, 0.0, 0.0, 5.0, -5.0],
                                    list(np.random.default_rng(4).normal(size=13))])
def test_stage_mean_is_bulyans_coordinate_stage(values):
    # the same median, window and ties as the rule's coordinate-wise stage (native op or TensorFlow)
    f = (len(values) - 3) // 4
    rule = aggregators.coordinatewise.closest_to_median_mean(tf.constant(values, tf.float64)[:, None],
                                                             len(values) - 2 * f)
    assert leeway_stage.stage(values, [True] * len(values), f)["mean"] == pytest.approx(float(rule[0]), abs=1e-12)


def test_bulyan_median_and_proof_step_rows():
    failing = leeway_stage.stage(HAND_VALUES, HAND_HONEST, f=2)
    centred = leeway_stage.stage([-3.0, 3.0, -2.5, 0.0, 1.0, -2.2, 3.0], HAND_HONEST, f=2)
    outputs = {"bulyan": [0.1, 0.5], "search_displacement": 0.4, "honest_low": -1.0, "honest_high": 0.6,
               "krum_gamma_m": 5.0}
    extra = {"max": 0.5, "min": -0.2, "honest_low": -1.0, "honest_high": 1.0}
    clean = [_stage_entry(10, [centred, centred], **outputs)], [_stage_entry(30, [centred], **extra)]
    rows = [leeway_bulyan_claims.median_claim(clean[0] + clean[1], 2, 11),
            leeway_bulyan_claims.proof_step_claim(*clean, 2)]
    assert [row[0] for row in rows] == ["4", "4, proof of Prop. 2"] and [row[-1] for row in rows] == ["holds"] * 2
    assert rows[0][3].startswith("the median lies outside the honest picks' range in 0 of 3 (draw, γ) cases (0 of "
                                 "2 draws, d 10 to 30); an honest pick holds it in 3 of them")
    assert rows[1][3].startswith("fewer than f = 2 left-out picks on a side in 0 of 3 (draw, γ) cases (0 of 2 "
                                 "draws; as few as 2); a kept value beyond every honest pick in 0 of 3 cases")
    assert "0 of 2 draws leave the honest values' range, the largest excess -6% of its width" in rows[1][3]
    # the hand example at the second gamma of the first draw: the step fails there, the median sentence holds
    bad = [_stage_entry(10, [centred, failing], **{**outputs, "search_displacement": 0.7})], clean[1]
    assert leeway_bulyan_claims.median_claim(bad[0] + bad[1], 2, 11)[-1] == "holds"
    row = leeway_bulyan_claims.proof_step_claim(*bad, 2)
    assert row[-1] == "does not hold"
    assert row[3].startswith("fewer than f = 2 left-out picks on a side in 1 of 3 (draw, γ) cases (1 of 2 draws; "
                             "as few as 1); a kept value beyond every honest pick in 1 of 3 cases (1 of 2 draws)")
    assert "1 of 2 draws leave the honest values' range, the largest excess +6% of its width" in row[3]
    outside = leeway_stage.stage([0.0, 1.0, 5.0, 5.0, 5.0], [True, True, False, False, False], f=1)
    assert leeway_bulyan_claims.median_claim([_stage_entry(10, [centred, outside])], 2, 11)[-1] == "does not hold"
    with pytest.raises(ValueError, match="lack 'stage': run the preset again"):
        leeway_bulyan_claims.claims([{**clean[0][0], "honest_values": [0.0]}], [{**extra}])


def _deviation_entry(d, bulyan, krum):
    return {"d": d, "draw": 0, "f": 2, "n": 11, "sigma": 1.0, "honest_values": [-1.0, 1.0], "bulyan": bulyan,
            "krum": krum}


def test_proposition2_slope_on_hand_values():
    # honest values -1, 1: an output b with |b| >= 1 is at mean_k |b - g_k| = |b|, one at 0 at 1. Bulyan stays
    # at 0 or 1 (1 / sqrt(d) over sigma = sqrt(d): slope -1/2); Krum reaches sqrt(d) (1 over sigma: slope 0)
    entries = [_deviation_entry(d, [0.0, 1.0], [0.0, math.sqrt(d)]) for d in (100, 10_000, 1_000_000)]
    assert leeway_bulyan_claims.deviation(entries[0], "bulyan") == pytest.approx(0.1)
    assert leeway_bulyan_claims.deviation(entries[2], "krum") == pytest.approx(1.0)
    row = leeway_bulyan_claims.proposition2_claim(entries)
    assert row[0] == "4, Prop. 2" and row[-1] == "holds" and "within -0.55..-0.45" in row[2]
    assert row[3].startswith("Bulyan(Krum) -0.500 ± 0.000; Krum on the same gradients and grid 0.000 ± 0.000")
    grows = [{**e, "bulyan": e["krum"]} for e in entries]  # a Bulyan that moves as far as Krum
    assert leeway_bulyan_claims.proposition2_claim(grows)[-1] == "does not hold"
    lines = leeway_bulyan_claims.proposition2_lines(entries)
    assert "| 100 | 1 | 1.00 | 10.0 | 1.00e-01 | 1.00e+00 |" in lines


def _sweep_points(sweep, gamma, xs, rules=("brute", "krum", "geomed"), ps=("2", "inf")):
    """Points of one sweep whose gamma_m is gamma(rule, p, x), one draw, iid."""
    return [{"sweep": sweep, "source": "iid", "rule": rule, "p": p, "d": x if sweep == "d" else 1000,
             "f": x if sweep == "f" else 2, "draw": 0, "how": "search", "gamma_m": gamma(rule, p, x), "delta_bar": 1.0,
             "pair_max": 2.0, "krum_score": 8.0, "medoid_sum": 6.0, "to_mean": 1.0, "to_mean_top": 1.0}
            for rule in rules for p in ps for x in xs]


def test_upper_half_is_the_points_above_the_geometric_middle():
    members = [{"d": d} for d in (10, 32, 100, 316, 1000, 3162, 10_000, 31_623, 100_000, 316_228, 1_000_000)]
    # sqrt(10 × 10^6) = 3162.28: 3162 (10^3.5 rounded) falls below it
    assert [m["d"] for m in leeway_claims.upper_half(members, "d")] == [10_000, 31_623, 100_000, 316_228, 1_000_000]
    assert [m["f"] for m in leeway_claims.upper_half([{"f": f} for f in (1, 2, 4, 8, 16)], "f")] == [4, 8, 16]


def test_d_claims_on_the_whole_range_and_the_upper_half():
    # log10 d = 1..5, log10 gamma = 0, 0, 1.5, 2, 2.5 (p = 2): the whole-range slope is
    # (2.4 + 1.2 + 0 + 0.8 + 2.6) / 10 = 0.7 (does not hold); over d >= sqrt(10 × 10^5) = 1000 it is 0.5
    # (holds); its standard error sqrt((0.2² + 0.5² + 0.3² + 0.1² + 0.1²) / 3 / 10) = 0.115. p = inf: flat.
    logs = {10: 0.0, 100: 0.0, 1000: 1.5, 10_000: 2.0, 100_000: 2.5}
    points = _sweep_points("d", lambda rule, p, d: 10 ** logs[d] if p == "2" else 3.0, list(logs))
    rows = leeway_claims.slopes(points)
    krum = next(r for r in rows if (r["rule"], r["p"]) == ("krum", "2"))
    assert krum["slope"] == pytest.approx(0.7) and krum["upper_slope"][0] == pytest.approx(0.5)
    assert (krum["verdict"], krum["upper_verdict"], krum["upper_range"]) == ("does not hold", "holds", (1000, 100_000))
    claim_rows = leeway_claims.claims(rows, [])
    assert [(row[0], row[-1]) for row in claim_rows] == [("3.2, B.2, B.3", "does not hold"), ("3.2, B.2, B.3", "holds"),
                                                         ("3.3", "holds"), ("3.3", "holds")]
    assert "whole range, d 10 to 100000:" in claim_rows[0][2] and "Krum 0.700 ± " in claim_rows[0][3]
    assert ("upper half, d >> 1: d >= sqrt(10 × 100000) = 1000.0, i.e. d 1000 to 100000:" in claim_rows[1][2]
            and "Krum 0.500 ± 0.000" in claim_rows[1][3])
    table = leeway_claims.slopes_markdown(rows, [], [], "made up", {})
    assert ("| d | iid | Krum | 2 | 10 to 100000 | 0.700 ± 0.115 | does not hold | 1000 to 100000 | 0.500 ± 0.000 | "
            "holds | within 0.45..0.55 |") in table


def test_f_claims_test_krum_and_geomed_with_one_tolerance():
    # gamma_m = f^(1/q) passes both rows; GeoMed at f^0.73 is 0.27 below 1 > 0.1: does not hold
    fs = (1, 2, 4, 8, 16)
    exact = _sweep_points("f", lambda rule, p, f: f ** {"brute": 0.0, "krum": 0.5, "geomed": 1.0}[rule], fs)
    low = _sweep_points("f", lambda rule, p, f: f ** {"brute": 0.0, "krum": 0.5, "geomed": 0.73}[rule], fs)
    for points, geomed_verdict in ((exact, "holds"), (low, "does not hold")):
        rows = [row for row in leeway_claims.claims(leeway_claims.slopes(points), []) if row[0] == "3.2, B.3"]
        assert [row[2].split(" ")[0] for row in rows] == ["Krum", "GeoMed"]
        assert [row[-1] for row in rows] == ["holds", geomed_verdict]
        assert "within 1/1 ± 0.1 = 0.9..1.1" in rows[1][2] and "within 1/2 ± 0.1 = 0.4..0.6" in rows[0][2]
    assert rows[1][3].startswith("GeoMed 0.730 ± 0.000; upper half (f >= 4): 0.730 ± 0.000")


def test_ratio_at_the_largest_d_is_not_the_median_over_the_sweep():
    # gamma_m / paper = 1, 1, 2 over d = 10, 100, 1000: median over the sweep 1, at d = 1000: 2
    points = _sweep_points("d", lambda rule, p, d: leeway_theory.paper(rule, p, d, 2, 1.0) * (2 if d == 1000 else 1),
                           (10, 100, 1000), rules=("krum",), ps=("2",))
    row = leeway_claims.slopes(points)[0]
    assert row["paper_ratio"] == pytest.approx(1.0) and row["paper_ratio_top"] == pytest.approx(2.0)


def test_claims_markdown_escapes_the_cells_own_bars():
    # |slope in f| and E|Bu[i] - g_k[i]| hold bars: unescaped, they would split the row into more columns
    table = leeway_claims.claims_markdown([("B.2", "E|x|", "|slope| <= 0.1", "0.05", "holds")], "made up")
    row = table.splitlines()[-1]
    assert row == "| B.2 | E\\|x\\| | \\|slope\\| <= 0.1 | 0.05 | holds |"
    assert len(re.findall(r"(?<!\\)\|", row)) == 6  # the 5 cells' borders only


def test_tiny_study_end_to_end(tmp_path):
    paths = leeway.run_study("tiny", out_dir=str(tmp_path), log=lambda *_: None)
    target = tmp_path / "tiny"
    for name in ("leeway_d", "leeway_ratio", "leeway_f", "leeway_bulyan"):
        for ext in ("png", "pdf"):
            assert (target / f"{name}.{ext}").stat().st_size > 1000
    assert str(target / "leeway_claims.md") in paths
    rows = [line for line in (target / "leeway_claims.md").read_text().splitlines()
            if line.startswith("| ") and not line.startswith("| section")]
    cells = [[c.strip() for c in row.strip("|").split(" | ")] for row in rows]
    assert len(cells) == 10 and all(len(c) == 5 for c in cells)
    assert all(c[4] in ("holds", "does not hold", "no fit") for c in cells)
    assert [c[0] for c in cells] == ["3.2, B.2, B.3"] * 2 + ["3.3"] * 2 + ["3.2, B.3"] * 2 + [
        "B.2", "4", "4, proof of Prop. 2", "4, Prop. 2"]
    assert "whole range, d 10 to 1000" in cells[0][2] and "upper half, d >> 1" in cells[1][2]
    assert re.search(r"Krum -?\d\.\d{3} ± \d\.\d{3}", cells[0][3])
    assert re.match(r"Bulyan\(Krum\) -?\d\.\d{3} ± \d\.\d{3}", cells[9][3])  # 2 d x 2 draws: a fit
    results = json.loads((target / "leeway_results.json").read_text())
    assert {p["rule"] for p in results["points"]} == {"brute", "krum", "geomed"}
    assert len(results["points"]) == (3 * 2 + 2 * 2) * 6
    assert len(results["bulyan"]) == 4 and len(results["bulyan_range"]) == 3
    # the stage's mean at each gamma is Bulyan's output there, as the rule computed it
    for entry in results["bulyan"]:
        assert entry["stage"]["mean"] == pytest.approx(entry["bulyan"], abs=1e-5)
        assert len(entry["honest_values"]) == 3 * entry["f"] + 3
    # --plot_only re-plots and re-tables from the saved results alone
    (target / "leeway_claims.md").unlink()
    leeway.run_study("tiny", out_dir=str(tmp_path), plot_only=True, log=lambda *_: None)
    assert [line for line in (target / "leeway_claims.md").read_text().splitlines()
            if line.startswith("| ") and not line.startswith("| section")] == rows


@pytest.mark.parametrize("argv, message", [
    (["--preset=huge"], "error: flag --preset=huge: value should be one of <tiny|quick|full>"),
    (["--preset=tiny", "--plot_only"], "error: --plot_only needs"),
])
def test_cli_bad_input_exits_2(argv, message, capsys, tmp_path):
    parse = command_line.parser(leeway.FLAGS, leeway.__doc__)
    try:
        with pytest.raises(SystemExit) as exit_info:
            leeway.main(parse(["leeway", f"--out_dir={tmp_path}"] + argv))
    finally:
        leeway.FLAGS.unparse_flags()
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_info.value.code == 2 and len(err) == 1 and err[0].startswith(message)


@pytest.mark.skipif(not os.path.isdir(os.path.join(DATA, "mnist")), reason="no MNIST files")
def test_mnist_pools():
    pools = leeway_data.mnist_pools(DATA, steps=2, workers=8)
    init, trained = pools["init"].gradients, pools["trained"].gradients
    assert init.shape == trained.shape == (8, 79_510) and np.isfinite(init).all() and np.isfinite(trained).all()
    assert not np.allclose(init, trained)
    assert init[:, -1].std() > 0  # the attacked coordinate (the last output bias) varies across workers


def test_plot_data_holds_the_slopes_and_closed_forms_the_plots_draw():
    points = [{"sweep": "d", "source": "iid", "rule": rule, "p": p, "d": d, "f": 2, "draw": 0, "how": "search",
               "gamma_m": 3.0 * d ** 0.5, "delta_bar": 1.0, "pair_max": 2.0 * d ** 0.5, "krum_score": 8.0 * d,
               "medoid_sum": 6.0 * d ** 0.5, "to_mean": d ** 0.5, "to_mean_top": 1.0}
              for rule in ("brute", "krum", "geomed") for p in ("2", "inf") for d in (10, 100, 1000)]
    results = {"description": "made up", "points": points, "bulyan": [], "bulyan_range": []}
    rows = leeway_claims.slopes(points)
    data = plot_data.plot_data(results, rows)
    assert data.slopes["d", "iid", "krum", "2"]["slope"] == pytest.approx(0.5)
    x, y, label = data.d_theory["krum", "2"]
    assert (x[0], x[-1]) == pytest.approx((10, 1000)) and label.endswith("exponent 0.5")
    assert y[0] == pytest.approx(leeway_theory.paper("krum", "2", 10, 2, 1.0))
    assert data.f_points == [] and data.f_theory == {} and data.ratio_reference == pytest.approx(math.sqrt(math.pi / 2))
    assert all("paper" in m and "model" in m for m in data.d_points)
    assert list(data.rule_names) == ["brute", "krum", "geomed"]
