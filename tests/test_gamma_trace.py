"""`python -m experiments.gamma_trace`: gamma_m during Figures 2 and 4's training against appendix B's closed
form at the logged delta_bar; the ratio on hand-made metrics, the plan, the micro study end to end."""

import dataclasses
import math
import os

import numpy as np
import pytest

import training
from experiments.leeway import theory
from experiments.paper import figure_runs, gamma_trace, settings

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.path.dirname(REPO), "shared", "data")
NAN = math.nan


def closed_numpy(rule, d, n, f, delta_bar):
    """Appendix B.3 at b = 0, p = 2, written out: B is selected while (n - 2f - 1) (gamma^2 + d delta_bar^2 / 2)^(q/2)
    < (n - f - 2) (d delta_bar^2)^(q/2), q = 2 for Krum, 1 for GeoMed."""
    q = 2 if rule == "krum" else 1
    r = (n - f - 2) / (n - 2 * f - 1)
    return np.sqrt(r ** (2 / q) - 0.5) * np.sqrt(d) * np.asarray(delta_bar)


METRICS = {"step": np.array([0, 1, 2, 3, 4.0]), "gamma": np.array([NAN, 2.0, 1.0, 0.0, NAN]),
           "delta_bar": np.array([NAN, 0.1, 0.05, 0.1, NAN]), "selected": np.array([NAN, 1, 1, 0, NAN])}


def test_ratio_on_hand_made_metrics():
    # Krum, n = 2f + 3 = 5, d = 100: closed form sqrt(1 - 1/2) 10 delta_bar, so gamma 2 at delta_bar 0.1 and
    # gamma 1 at 0.05 are both 2 sqrt(2) times it; gamma 0 (B not selected) is 0 times it
    trace = gamma_trace.step_ratios(METRICS, "krum", 100, 5, 1)
    np.testing.assert_array_equal(trace["step"], [1, 2, 3])
    np.testing.assert_allclose(trace["closed"], [math.sqrt(0.5), math.sqrt(0.5) / 2, math.sqrt(0.5)], rtol=1e-12)
    np.testing.assert_allclose(trace["ratio"], [2 * math.sqrt(2), 2 * math.sqrt(2), 0], rtol=1e-12)
    np.testing.assert_array_equal(trace["selected"], [1, 1, 0])
    # GeoMed at Figure 4's n = 39, f = 9: r = 28 / 20 = 1.4, closed form sqrt(1.96 - 0.5) 10 delta_bar
    trace = gamma_trace.step_ratios(METRICS, "geomed", 100, 39, 9)
    np.testing.assert_allclose(trace["closed"], np.array([1, 0.5, 1]) * math.sqrt(1.46), rtol=1e-12)
    np.testing.assert_allclose(trace["ratio"], METRICS["gamma"][1:4] / closed_numpy("geomed", 100, 39, 9,
                                                                                   METRICS["delta_bar"][1:4]))
    # Krum at Figure 2's n = 57, f = 27: the appendix's own case, r = (f + 1) / 2 = 14
    trace = gamma_trace.step_ratios(METRICS, "krum", 79510, 57, 27)
    np.testing.assert_allclose(trace["closed"], closed_numpy("krum", 79510, 57, 27, METRICS["delta_bar"][1:4]),
                               rtol=1e-12)
    assert theory.paper("krum", "2", 79510, 27, 0.1, n=57) == theory.paper("krum", "2", 79510, 27, 0.1)
    # n <= 2f + 1: B's nearest are its copies, no bound, no ratio
    assert theory.paper("geomed", "2", 100, 1, 0.1, n=3) == math.inf
    assert np.isnan(gamma_trace.step_ratios(METRICS, "geomed", 100, 3, 1)["ratio"]).all()


def test_summary_pools_seeds_and_steps_of_a_window():
    first = {"step": np.array([1, 2, 3.0]), "ratio": np.array([1.0, 2.0, 4.0]), "gamma": np.array([1, 2, 3.0]),
             "delta_bar": np.array([0.1, 0.2, 0.3]), "selected": np.array([1, 1, 0.0])}
    second = {"step": np.array([1, 2.0]), "ratio": np.array([3.0, NAN]), "gamma": np.array([5, 6.0]),
              "delta_bar": np.array([0.5, 0.6]), "selected": np.array([1, 1.0])}
    summary = gamma_trace.summarise([first, second], 1, 2)  # ratios 1, 2, 3 (NaN left out)
    assert summary == {"steps": 3, "ratio": (2.0, 1.0, 3.0), "gamma": 3.5, "delta_bar": 0.35, "selected": 1.0}
    assert gamma_trace.summarise([first, second], 3, 3)["selected"] == 0.0
    assert gamma_trace.summarise([first], 4, 9) is None and gamma_trace.summarise([], 1, 2) is None


def test_windows_of_figure_2_and_4():
    planned, _ = gamma_trace.plan([2, 4], "paper", [1], "/nowhere")
    by_figure = {number: {gamma_trace.windows(run.config)[0].label for run in runs} for number, runs in planned.items()}
    assert by_figure == {2: {"attack window, 1-50"}, 4: {"all, 1-500"}}
    halves = gamma_trace.windows(planned[4][0].config)
    assert [(w.first, w.last, w.whole) for w in halves] == [(1, 500, True), (1, 250, False), (251, 500, False)]


def test_plan_traces_the_attacked_krum_and_geomed_runs_only(tmp_path):
    plans, lines = gamma_trace.plan([2, 4], "micro", [1, 2], str(tmp_path))
    assert len(lines) == 3 and lines[0].startswith("Figure 2, MNIST: preset: micro")
    for number, traced in plans.items():
        own, _ = figure_runs.plan(settings.get(number), "micro", str(tmp_path), None, [1, 2])
        own = {(run.key, run.seed): run for run in own}
        assert sorted(run.key[1] for run in traced) == sorted(["krum", "geomed"] * len(settings.get(number).panels) * 2)
        for run in traced:
            original = own[run.key, run.seed]
            assert run.config.attack_options == {"log_spread": 1}
            assert dataclasses.replace(run.config, attack_options={}) == original.config  # nothing else
            assert run.run_dir != original.run_dir  # a new run folder


def test_parse_figures():
    assert gamma_trace.parse_figures(["4", "2", "4"]) == [4, 2]
    with pytest.raises(ValueError, match="--figures: '3' is not a traced figure; figures: 2, 4"):
        gamma_trace.parse_figures(["3"])


def _row(figure, rule, median):
    window = gamma_trace.Window("w", 1, 2, True)
    return gamma_trace.Row(figure, "MNIST", rule, 5, 1, 100, window, (1,),
                           {"steps": 10, "ratio": (median, 0, 9), "gamma": 1.0, "delta_bar": 0.1, "selected": 1.0})


def test_the_reading_comes_from_the_numbers():
    halves = dataclasses.replace(_row(4, "Krum", 50.0), window=gamma_trace.Window("h", 1, 1, False))
    text = gamma_trace.reading([_row(2, "Krum", 1.5), _row(4, "GeoMed", 3.0), _row(4, "Krum", 2.0), halves])
    assert text.startswith("gamma_m is 2x appendix B's closed form at the measured spread (the median of the 3 rows' "
                           "medians over every attacked step, 30 steps in all), from 1.5x (Figure 2, MNIST, Krum) "
                           "to 3x (Figure 4, MNIST, GeoMed).")
    assert text.endswith("In every row the attack finds a larger gamma_m than appendix B predicts from the honest "
                         "gradients' spread.")
    assert gamma_trace.reading([_row(2, "Krum", 0.5)]).endswith("a smaller gamma_m than appendix B predicts from "
                                                               "the honest gradients' spread.")
    assert gamma_trace.reading([_row(2, "Krum", 0.5), _row(2, "GeoMed", 4.0)]).endswith(
        "The attack finds a larger gamma_m than appendix B predicts in 1 of the 2 rows, a smaller one in the others.")


needs_mnist = pytest.mark.skipif(not os.path.isdir(os.path.join(DATA, "mnist")), reason="../shared/data is absent")


@needs_mnist
def test_logging_the_spread_changes_no_number_of_a_run(tmp_path_factory):
    shared = tmp_path_factory.getbasetemp() / "results"  # Figure 2's micro runs, shared with tests/test_figures.py
    plans, _ = gamma_trace.plan([2], "micro", [1], str(shared), DATA)
    traced = next(run for run in plans[2] if run.key[1] == "krum")
    own = dataclasses.replace(traced.config, attack_options={})
    plain = training.read_metrics(training.run(own, progress=False))
    spread = training.read_metrics(training.run(traced.config, progress=False))
    assert list(spread) == list(plain) + ["delta_bar"]
    for column in plain:
        if column != "wall_time":
            assert np.array_equal(spread[column], plain[column], equal_nan=True), column
    assert np.isfinite(spread["delta_bar"][1:]).all() and np.isnan(spread["delta_bar"][0])


@needs_mnist
def test_the_micro_study_end_to_end(tmp_path, tmp_path_factory):
    with pytest.raises(ValueError, match="no finished traced run"):
        gamma_trace.run_study([2, 4], "micro", [1], str(tmp_path / "empty"), str(tmp_path / "out"), DATA,
                              plot_only=True)
    assert not os.path.exists(tmp_path / "out")  # nothing written
    shared = tmp_path_factory.getbasetemp() / "results"
    path = gamma_trace.run_study([2, 4], "micro", [1], str(shared), str(tmp_path / "out"), DATA)
    assert path == str(tmp_path / "out" / "micro" / "gamma_trace.md")
    text = open(path).read()
    assert "Written by `python -m experiments.gamma_trace" in text and "Seeds: 1;" in text
    assert "docs/reproduction/leeway.md" in text and "gamma_m is " in text
    rows = [line for line in text.splitlines() if line.startswith("| 2 ") or line.startswith("| 4 ")]
    assert len(rows) == 2 + 2 * 2 * 3  # Figure 2: Krum, GeoMed; Figure 4: 2 panels x 2 rules x 3 windows
    # Figure 2's Krum row: the median ratio from the run's own metrics and the closed form written out
    plans, _ = gamma_trace.plan([2], "micro", [1], str(shared), DATA)
    krum = next(run for run in plans[2] if run.key[1] == "krum")
    metrics = training.read_metrics(krum.run_dir)
    attacked = np.isfinite(metrics["gamma"])
    ratio = metrics["gamma"][attacked] / closed_numpy("krum", 79510, krum.config.n, krum.config.f,
                                                      metrics["delta_bar"][attacked])
    row = next(line for line in rows if line.startswith("| 2 | MNIST | Krum |")).split(" | ")
    assert row[5:8] == ["attack window, 1-3", "1", "3"]
    assert row[8] == f"{np.median(ratio):.3g} [{ratio.min():.3g}, {ratio.max():.3g}]"
    assert row[9] == f"{np.median(metrics['gamma'][attacked]):.3g}"
