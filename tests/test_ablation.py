"""`python -m experiments.ablation`: a figure's runs with one choice changed, the claims side by side (micro)."""

import dataclasses
import os

import pytest

import training
from experiments.paper import ablation, figure_runs, settings

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.path.dirname(REPO), "shared", "data")


def _planned(tmp_path, number, seeds=(1,)):
    planned, _ = figure_runs.plan(settings.get(number), "micro", str(tmp_path), DATA, list(seeds))
    return planned


def test_l2_half_halves_lambda_of_every_run_and_names_new_runs(tmp_path):
    ours = _planned(tmp_path, 4)
    theirs = ablation.changed(ours, ablation.get("l2-half"))
    assert [run.config.l2 for run in theirs] == [5e-5] * len(ours) and {run.config.l2 for run in ours} == {1e-4}
    assert not {run.run_dir for run in ours} & {run.run_dir for run in theirs}


def test_bulyan_selected_changes_only_the_attacked_bulyan_runs(tmp_path):
    ours = _planned(tmp_path, 4)
    theirs = ablation.changed(ours, ablation.get("bulyan-selected"))
    moved = [(a.key, b.config.attack_options) for a, b in zip(ours, theirs) if a.run_dir != b.run_dir]
    assert moved == [(("eta0=0.2", "bulyan-krum"), {"objective": "selected"}),
                     (("eta0=1", "bulyan-krum"), {"objective": "selected"})]


def test_cnn_pool_stride_trains_every_figure3_run_on_the_other_cnn_reading(tmp_path):
    ours = _planned(tmp_path, 3)
    theirs = ablation.changed(ours, ablation.get("cnn-pool-stride"))
    assert {run.config.model for run in ours} == {None}
    assert len(ours) == 4 and [run.config.model for run in theirs] == ["cifar10_cnn_pool_stride"] * 4
    assert [dataclasses.replace(b.config, model=None) for b in theirs] == [a.config for a in ours]  # nothing else
    assert not {run.run_dir for run in ours} & {run.run_dir for run in theirs}


def test_gamma_capped_caps_only_the_attacked_krum_and_geomed_runs(tmp_path):
    ours = _planned(tmp_path, 3)
    capped = ablation.get("gamma-capped")
    theirs = ablation.changed(ours, capped)
    moved = [(a.key, b.config.attack_options) for a, b in zip(ours, theirs) if a.run_dir != b.run_dir]
    assert moved == [(("cifar10", "krum"), {"gamma_max": 50.0}), (("cifar10", "geomed"), {"gamma_max": 50.0})]
    assert "50" in capped.variant and "4.4" in capped.variant
    assert capped.question == ("Is Figure 3's divergence of Krum and GeoMed numerical, or does the attack destroy "
                               "the model without it?")
    # other attack options are kept, unattacked runs are left alone
    kept = dataclasses.replace(ours[1].config, attack_options={"gamma_scale": 0.5})
    assert capped.change(kept) == {"attack_options": {"gamma_scale": 0.5, "gamma_max": 50.0}}
    assert capped.change(dataclasses.replace(ours[1].config, attack="none")) == {}


@pytest.mark.skipif(not os.path.isdir(os.path.join(DATA, "cifar10")), reason="../shared/data is absent")
def test_the_changed_figure3_runs_are_valid(tmp_path):
    ours = _planned(tmp_path, 3)
    for ablation_id in ("cnn-pool-stride", "gamma-capped"):
        for run in ablation.changed(ours, ablation.get(ablation_id)):
            training.validate(run.config)


def test_unknown_ablation_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown ablation 'l3'; ablations: l2-half, bulyan-selected, "
                                         "cnn-pool-stride, gamma-capped"):
        ablation.get("l3")


@pytest.mark.skipif(not os.path.isdir(os.path.join(DATA, "mnist")), reason="../shared/data is absent")
def test_the_table_sets_both_verdicts_side_by_side(tmp_path, tmp_path_factory):
    with pytest.raises(ValueError, match="no finished run of ablation l2-half"):
        ablation.run_ablation(ablation.get("l2-half"), [2], "micro", [1], str(tmp_path / "empty"),
                              str(tmp_path / "out"), DATA, plot_only=True)
    assert not os.path.exists(tmp_path / "out")  # nothing written
    shared = tmp_path_factory.getbasetemp() / "results"  # Figure 2's micro runs, shared with tests/test_figures.py
    path = ablation.run_ablation(ablation.get("l2-half"), [2], "micro", [1], str(shared), str(tmp_path / "out"), DATA)
    assert path == str(tmp_path / "out" / "micro" / "ablation_l2-half.md")
    text = open(path).read()
    claims_rows = [line for line in text.splitlines() if line.startswith("| ") and "(5.2.1)" in line]
    assert len(claims_rows) == 2 and all(line.count("holds in") + line.count("does not hold") >= 2
                                         or line.count("not measured") == 0 for line in claims_rows)
    assert all(line.count("of 1 seed") == 2 for line in claims_rows)  # one verdict per side
    curves = [line for line in text.splitlines() if line.endswith("| yes |")]
    assert len(curves) == 4  # Average, Krum, GeoMed, Brute: each run changed


def test_a_figure_keeps_its_own_seeds(tmp_path, tmp_path_factory):
    selected = ablation.get("bulyan-selected")
    plans = ablation.plan(selected, [4, 5], "micro", [1, 2, 3], str(tmp_path), DATA, {5: (2,)})
    assert {run.seed for run in plans[4][0] + plans[4][1]} == {1, 2, 3}
    assert {run.seed for run in plans[5][0] + plans[5][1]} == {2}
    shared = tmp_path_factory.getbasetemp() / "results"  # Figure 2's micro runs, shared with tests/test_figures.py
    path = ablation.run_ablation(ablation.get("l2-half"), [2], "micro", [1, 2, 3], str(shared), str(tmp_path / "out"),
                                 DATA, figure_seeds={2: (1,), 4: (1,)})  # Figure 4 not asked: ignored
    lines = open(path).read().splitlines()
    heading = lines.index("### Figure 2")
    assert lines[heading + 1:heading + 3] == ["", "Seeds of this figure: 1."]
    assert "Figure 4" not in "\n".join(lines)
    claims_rows = [line for line in lines if line.startswith("| ") and "(5.2.1)" in line]
    assert claims_rows and all(line.count("of 1 seed") == 2 for line in claims_rows)


def test_a_figure_of_several_panels_names_each_curve_with_its_panel(tmp_path):
    l2_half = ablation.get("l2-half")
    ours, theirs = ablation.plan(l2_half, [4], "micro", [1], str(tmp_path))[4]
    lines = ablation.figure_table(4, ours, theirs, l2_half)
    curves = [line.split(" | ")[0][2:] for line in lines if line.endswith("| yes |")]
    assert curves == [f"MNIST, η0 = {eta}: {curve}" for eta in ("0.2", "1")
                      for curve in ("Average", "Krum", "GeoMed", "Bulyan (A = Krum)")]
    claims_rows = [line for line in lines if "(5.2.2)" in line]
    assert len(claims_rows) == 3 and all("| not measured | not measured |" in line for line in claims_rows)


def test_run_changed_compares_the_runs_of_one_seed(tmp_path):
    selected = ablation.get("bulyan-selected")
    ours, theirs = ablation.plan(selected, [4], "micro", [1, 2], str(tmp_path))[4]
    changed = [line.split(" | ")[0][2:] for line in ablation.figure_table(4, ours, theirs, selected)
               if line.endswith("| yes |")]
    assert changed == ["MNIST, η0 = 0.2: Bulyan (A = Krum)", "MNIST, η0 = 1: Bulyan (A = Krum)"]
