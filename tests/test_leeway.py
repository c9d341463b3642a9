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
from experiments.leeway import claims as leeway_claims
from experiments.leeway import command as leeway
from experiments.leeway import data as leeway_data
from experiments.leeway import measure as leeway_measure
from experiments.leeway import plot_data
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


def test_bulyan_claim_reads_the_honest_range():
    entry = {"d": 10, "draw": 0, "f": 2, "n": 11, "bulyan": [0.1, 0.5], "search_displacement": 0.4,
             "honest_low": -1.0, "honest_high": 0.6, "krum_gamma_m": 5.0}
    extra = {"d": 30, "draw": 0, "max": 0.5, "min": -0.2, "honest_low": -1.0, "honest_high": 1.0}
    claim = leeway_claims._bulyan_claim([entry], [extra])
    assert claim[-1] == "holds" and claim[3].startswith("0 of 2 draws (d 10 to 30) leave the honest range; the "
                                                         "largest excess is -6% of the range's width")
    claim = leeway_claims._bulyan_claim([{**entry, "search_displacement": 0.7}], [extra])
    assert claim[-1] == "does not hold" and claim[3].startswith("1 of 2 draws") and "+6%" in claim[3]
    claim = leeway_claims._bulyan_claim([entry], [{**extra, "max": 3.5}])
    assert claim[-1] == "does not hold" and "+125%" in claim[3] and "side: no" in claim[3]


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
    assert len(cells) == 5 and all(len(c) == 5 for c in cells)
    assert all(c[4] in ("holds", "does not hold") for c in cells)
    assert [c[0] for c in cells] == ["3.2, B.2, B.3", "3.3", "3.2, B.3", "B.2", "4"]
    assert re.search(r"Krum -?\d\.\d{3} ± \d\.\d{3}", cells[0][3])
    results = json.loads((target / "leeway_results.json").read_text())
    assert {p["rule"] for p in results["points"]} == {"brute", "krum", "geomed"}
    assert len(results["points"]) == (3 * 2 + 2 * 2) * 6
    assert len(results["bulyan"]) == 2 and len(results["bulyan_range"]) == 3
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
