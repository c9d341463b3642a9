"""Curves and panels have ids; labels are for display only: renaming every label changes no claim's verdict,
no run folder and no plot style, and plots/ imports nothing from experiments/."""

import ast
import dataclasses
import os

import numpy as np
import pytest

from experiments.paper import claims, figure3_ablation, figure_runs, settings
from plots import styles

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def renamed(figure):
    """`figure` with every panel and curve label replaced."""
    panels = tuple(dataclasses.replace(panel, label=f"panel {i} renamed", curves=tuple(
        dataclasses.replace(curve, label=f"curve {i}.{j} renamed") for j, curve in enumerate(panel.curves)))
        for i, panel in enumerate(figure.panels))
    return dataclasses.replace(figure, panels=panels)


def keys(figure):
    """Every run key (panel id, curve id[, batch]) of `figure` at the paper's settings."""
    out = []
    for panel in figure.panels:
        for curve in panel.curves:
            out += [(panel.id, curve.id, b) for b in panel.batch_sizes] if panel.x == "batch_size" \
                else [(panel.id, curve.id)]
    return out


def synthetic_metrics(final, rng, steps=10):
    accuracy = np.full(steps + 1, np.nan)
    accuracy[0], accuracy[steps] = 0.1, final
    loss = np.ones(steps + 1)
    if rng.random() < 0.1:  # now and then a diverged run
        loss[rng.integers(1, steps + 1):] = np.nan
    return {"step": np.arange(steps + 1), "accuracy": accuracy, "train_loss": loss}


def test_ids_are_unique_and_every_curve_has_a_style():
    for figure in settings.FIGURES.values():
        assert len({panel.id for panel in figure.panels}) == len(figure.panels)
        for panel in figure.panels:
            assert len({curve.id for curve in panel.curves}) == len(panel.curves)
            for curve in panel.curves:
                assert styles.style(curve.id), curve.id
                assert figure.label((panel.id, curve.id)) == curve.label
    assert {c.id for f in settings.FIGURES.values() for p in f.panels for c in p.curves} == {
        "average", "krum", "geomed", "brute", "bulyan-krum"}
    assert [p.id for p in settings.get(4).panels] == ["eta0=0.2", "eta0=1"]
    assert len({claim.id for claim in claims.CLAIMS}) == len(claims.CLAIMS)


@pytest.mark.parametrize("number", sorted(settings.FIGURES))
def test_renaming_every_label_keeps_every_verdict(number):
    figure, other = settings.get(number), renamed(settings.get(number))
    seen = set()
    for trial in range(100):
        rng = np.random.default_rng([number, trial])
        # a level per run (near each other or far apart), a little noise per seed
        levels = {key: rng.choice([0.1, 0.5, 0.88, 0.9]) for key in keys(figure)}
        by_seed = {seed: {key: synthetic_metrics(level + rng.uniform(-0.01, 0.01), rng)
                          for key, level in levels.items()} for seed in (1, 2, 3)}
        rows, _ = claims.evaluate(number, {s: claims.Results(figure, m) for s, m in by_seed.items()}, "")
        again, table = claims.evaluate(number, {s: claims.Results(other, m) for s, m in by_seed.items()}, "")
        assert [(r.claim.id, r.verdict, r.holding, r.seeds) for r in rows] == \
               [(r.claim.id, r.verdict, r.holding, r.seeds) for r in again]
        assert "renamed" in table  # the new labels are what the table shows
        seen.update(row.verdict for row in rows)
    assert {"holds", "does not hold"} <= seen  # the synthetic metrics exercise both verdicts


def test_renaming_labels_changes_no_run_folder():
    for number, figure in settings.FIGURES.items():
        for preset in ("paper", "micro"):
            planned, _ = figure_runs.plan(figure, preset, "/results", None, [1, 2])
            again, _ = figure_runs.plan(renamed(figure), preset, "/results", None, [1, 2])
            assert [(r.key, r.run_dir) for r in planned] == [(r.key, r.run_dir) for r in again]
            assert "renamed" in again[0].describe() and "renamed" not in planned[0].describe()


def test_a_run_config_is_the_base_with_the_panels_curves_and_presets_fields():
    planned, _ = figure_runs.plan(settings.get(2), "paper", "/results", "/data", [3], strategy="mirrored",
                                  replicas=2)
    krum = next(run for run in planned if run.key == ("mnist", "krum"))
    config = krum.config
    assert (config.gar, config.n, config.f, config.batch_size, config.lr0, config.lr_decay) == (
        "krum", 57, 27, 83, 1.0, 10000)
    assert (config.attack, config.attack_stop, config.steps, config.eval_every, config.seed) == ("lp", 50, 1000, 10, 3)
    assert (config.results_dir, config.data_dir, config.strategy, config.replicas) == (
        "/results/paper", "/data", "mirrored", 2)
    average = next(run for run in planned if run.key == ("mnist", "average")).config
    assert (average.attack, average.attack_stop, average.attack_options, average.f) == ("none", None, {}, 0)


def test_figure3_ablation_keys_on_ids():
    figure = figure3_ablation.variant_figure({"coordinate": 0})
    assert [curve.id for curve in figure.panels[0].curves] == list(figure3_ablation.CURVES)
    assert figure.panels[0].attack_options == (("coordinate", 0),)
    assert [claims.get(claim_id).figure for claim_id in figure3_ablation.PICTURE] == [3, 3]


def test_plots_import_nothing_from_experiments():
    for folder, _, names in os.walk(os.path.join(REPO, "plots")):
        for name in (n for n in names if n.endswith(".py")):
            tree = ast.parse(open(os.path.join(folder, name), encoding="utf-8").read())
            for node in ast.walk(tree):
                modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                assert not any(m == "experiments" or m.startswith("experiments.") for m in modules), name
