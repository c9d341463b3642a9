"""Figures over several seeds, `--plot_only` on incomplete results, and the reproduction report (micro)."""

import glob
import os
import re
import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PolyCollection

from experiments.paper import figure3_ablation as ablation
from experiments.paper import figure_runs, reproduce, settings
from experiments.paper.figure_command import run_figure
from experiments.paper.render import FigureError
from training import run_folder

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.path.dirname(REPO), "shared", "data")

pytestmark = pytest.mark.skipif(not os.path.isdir(os.path.join(DATA, "mnist")), reason="../shared/data is absent")


@pytest.fixture(scope="module")
def two_seeds(tmp_path_factory):
    """`python -m experiments.figure2 --preset=micro --seeds=1,2`, run once for this module."""
    base = tmp_path_factory.mktemp("seeds")
    result = subprocess.run([sys.executable, "-m", "experiments.figure2", "--preset=micro", "--seeds=1,2",
                             f"--data_dir={DATA}", f"--results_dir={base / 'results'}", f"--out_dir={base / 'figures'}"],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return base


def micro_plan(base, seeds):
    return figure_runs.plan(settings.get(2), "micro", str(base / "results"), DATA, seeds)


def test_figure2_two_seeds_band_and_verdicts(two_seeds):
    table = open(two_seeds / "figures" / "micro" / "figure2_claims.md").read()
    rows = [line for line in table.splitlines() if line.startswith("| 5.2.1")]
    assert len(rows) == 2 and all(re.search(r" of 2 seeds \(95% CI \d+%-\d+%\): \*\*", row) for row in rows)
    assert os.path.getsize(two_seeds / "figures" / "micro" / "figure2.png") > 10_000
    # the plot of these runs: each curve is the median of the two seeds with a band from min to max
    from plots import figure_plot

    planned, _ = micro_plan(two_seeds, [1, 2])
    runs = {}
    for run in planned:
        runs.setdefault(run.key, {})[run.seed] = run_folder.read_metrics(run.run_dir)
    panel = settings.get(2).panels[0]
    fig, ax = plt.subplots()
    figure_plot._step_panel(ax, panel, runs)
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == len(panel.curves)
    krum = [figure_plot.evaluated(runs[("mnist", "krum")][seed])[1] for seed in (1, 2)]
    y = bands[1].get_paths()[0].vertices[:, 1]
    assert np.isclose(y.min(), np.minimum(*krum).min()) and np.isclose(y.max(), np.maximum(*krum).max())
    ax.clear()
    figure_plot._step_panel(ax, panel, {key: {1: by_seed[1]} for key, by_seed in runs.items()})
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]  # one seed: plain curves
    plt.close(fig)


def test_plot_only_refuses_missing_runs_and_never_draws_nothing(two_seeds, tmp_path):
    out = tmp_path / "figures"
    # seed 3 was never trained: refused, naming the run
    with pytest.raises(FigureError, match=r"4 of 12 runs are missing or unfinished: MNIST / Average, "
                                          r"seed 3 \(.*\): missing"):
        run_figure(2, "micro", str(two_seeds / "results"), str(out), DATA, [1, 2, 3], plot_only=True)
    assert not os.path.exists(out)
    paths = run_figure(2, "micro", str(two_seeds / "results"), str(out), DATA, [1, 2, 3], plot_only=True,
                       allow_partial=True)
    table = open(paths[2]).read()
    assert "(PARTIAL: some runs are missing or unfinished)" in table.splitlines()[0]
    assert "missing: Average (seed 3)" in table
    before = open(paths[0], "rb").read()
    # a mistyped results_dir: nothing on disk, so the good plot is not overwritten
    with pytest.raises(FigureError, match="no run on disk"):
        run_figure(2, "micro", str(tmp_path / "typo"), str(out), DATA, [1], plot_only=True, allow_partial=True)
    assert open(paths[0], "rb").read() == before


def test_plot_only_refuses_an_unfinished_run(two_seeds, tmp_path):
    import shutil

    results = tmp_path / "results"
    shutil.copytree(two_seeds / "results", results)
    planned, _ = micro_plan(tmp_path, [1])
    saved = run_folder.read_config(planned[1].run_dir)
    run_folder.write_config(planned[1].run_dir, dict(saved, finished=False))
    with pytest.raises(FigureError, match=r"MNIST / Krum, seed 1 \(.*\): unfinished"):
        run_figure(2, "micro", str(results), str(tmp_path / "out"), DATA, [1], plot_only=True)


def test_plot_only_cli_exits_2_with_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "experiments.figure2", "--preset=micro", "--plot_only",
                             f"--results_dir={tmp_path}", f"--out_dir={tmp_path}"],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Figure 2: 4 of 4 runs are missing or unfinished" in errors[0]


def test_figure_help_lists_the_figure_flags():
    result = subprocess.run([sys.executable, "-m", "experiments.figure3", "--help"], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    for flag in ("--preset", "--seeds", "plot_only:", "allow_partial:", "--results_dir", "--data_dir"):
        assert flag in result.stdout, flag


def test_reproduce_writes_the_report(two_seeds, tmp_path):
    out = tmp_path / "report" / "micro"  # a preset other than paper reports to <out_dir>/<preset>
    os.makedirs(out)
    (out / "figure2_notes.md").write_text("# Why Figure 2 depends on the seed\n")
    path = reproduce.reproduce([2, 3], "micro", [1, 2], str(two_seeds / "results"), str(tmp_path / "report"),
                               DATA, plot_only=True, allow_partial=True)
    assert path == str(out / "README.md")
    report = open(path).read()
    assert "Seeds: 1, 2 (" in report and "TensorFlow" in report and "cores" in report
    assert "![Figure 2](figure2.png)" in report and "holds in" in report and " of 2 seeds" in report
    assert "## Figure 3" in report and "Not run yet." in report  # no CIFAR run in this results folder
    assert "| 2 | 5.2.1 | ... except for Brute. | holds in " in report and "| 3 | | (not run yet) | |" in report
    assert "- [Why Figure 2 depends on the seed](figure2_notes.md)" in report
    assert os.path.exists(out / "figure2.png") and not os.path.exists(out / "figure2.pdf")
    before = {name: open(out / name, "rb").read() for name in ("README.md", "figure2.png", "figure2_claims.md")}
    with pytest.raises(FigureError, match=r"no run of Figure 3 on disk under .*micro; nothing written"):
        reproduce.reproduce([3], "micro", [1], str(two_seeds / "results"), str(tmp_path / "report"), DATA,
                            plot_only=True, allow_partial=True)
    with pytest.raises(FigureError, match="Figure 3: 4 of 4 runs are missing"):  # refused before writing
        reproduce.reproduce([2, 3], "micro", [1], str(two_seeds / "results"), str(tmp_path / "report"), DATA,
                            plot_only=True)
    assert {name: open(out / name, "rb").read() for name in before} == before
    assert sorted(os.listdir(out)) == ["README.md", "figure2.png", "figure2_claims.md", "figure2_notes.md"]


def test_reproduce_trains_each_shared_run_once(two_seeds, capsys):
    # Figures 2 and 7 share their Average run; the seed-1 runs of Figure 2 exist already
    reproduce.reproduce([2, 7], "micro", [1], str(two_seeds / "results"), str(two_seeds / "r7"), DATA)
    out = capsys.readouterr().out
    assert "[reproduce] 4 of 7 runs done, 3 left" in out and "[reproduce] 7 of 7 runs done" in out
    assert out.count("now: ") == 3


def test_figure_seeds_give_one_figure_its_own_seeds(two_seeds, tmp_path):
    assert reproduce.parse_figure_seeds(["8:1", "3:1-3", "2:2,4"]) == {8: (1,), 3: (1, 2, 3), 2: (2, 4)}
    for bad, message in (("8", "takes N:SEEDS"), ("9:1", "9"), ("8:x", "--figure_seeds takes integers")):
        with pytest.raises(ValueError, match=message):
            reproduce.parse_figure_seeds([bad])
    # Figure 2 on seed 1 only, while --seeds says 1 and 2 (whose seed-2 runs are not asked for)
    path = reproduce.reproduce([2], "micro", [1, 2], str(two_seeds / "results"), str(tmp_path), DATA,
                               plot_only=True, figure_seeds={2: (1,)})
    claims = open(os.path.join(os.path.dirname(path), "figure2_claims.md")).read()
    assert "holds in 1 of 1 seed " in claims and " of 2 seeds" not in claims


def test_dataset_seeds_plan_cifar_panels_on_fewer_seeds():
    planned, lines = figure_runs.plan(settings.get(6), "micro", "/tmp/unused", None, [1, 2, 3], {"cifar10": [1]})
    seeds = {(run.config.dataset, run.seed) for run in planned}
    assert seeds == {("mnist", 1), ("mnist", 2), ("mnist", 3), ("cifar10", 1)}
    assert lines[0].endswith("test images)") and lines[1].endswith(", seeds 1")


@pytest.mark.skipif(not os.path.isdir(os.path.join(DATA, "cifar10")), reason="../shared/data/cifar10 is absent")
def test_figure3_ablation_micro(tmp_path):
    d, hidden = ablation.model_layout()
    assert (d, hidden) == (1_665_994, 448 + 16_448)  # conv1 and conv2 come before the 384-unit layer
    assert ablation.options_for("hidden", 1, (d, hidden)) == {"coordinate": hidden}
    drawn = ablation.options_for("random", 7, (d, hidden))["coordinate"]
    assert 0 <= drawn < d and drawn == ablation.options_for("random", 7, (d, hidden))["coordinate"]
    path = ablation.run_ablation(["last-bias", "gamma-0.5"], "micro", [1], str(tmp_path / "results"),
                                 str(tmp_path / "out"), DATA)
    rows = [line for line in open(path).read().splitlines() if line.startswith("| the last output bias")]
    assert len(rows) == 2 and all("holds in" in row and " of 1 seed" in row for row in rows)
    configs = [run_folder.read_config(os.path.dirname(p))
               for p in glob.glob(str(tmp_path / "results" / "micro" / "*" / "config.json"))]
    assert sorted(str(c["attack_options"]) for c in configs if c["gar"] == "krum") == ["{'gamma_scale': 0.5}", "{}"]


@pytest.mark.skipif(not os.path.isdir(os.path.join(DATA, "cifar10")), reason="../shared/data/cifar10 is absent")
def test_figure3_ablation_steps_cut_every_run(tmp_path):
    layout = ablation.model_layout()
    full, _ = ablation.plan_variant("first", "micro", [1], str(tmp_path), DATA, layout)
    cut, lines = ablation.plan_variant("first", "micro", [1], str(tmp_path), DATA, layout, steps=1)
    assert [run.config.steps for run in cut] == [1] * len(full) and full[0].config.steps > 1
    assert [run.key for run in cut] == [run.key for run in full] and cut[0].run_dir != full[0].run_dir
    assert lines[0].endswith("every run cut to 1 step")
    with pytest.raises(ValueError, match="--steps must be >= 1, got 0"):
        ablation.plan_variant("first", "micro", [1], str(tmp_path), DATA, layout, steps=0)
    path = ablation.run_ablation(["first"], "micro", [1], str(tmp_path), str(tmp_path / "out"), DATA,
                                 plot_only=True, steps=1)  # nothing trained: the table says "not measured"
    text = open(path).read()
    assert path.endswith("figure3_ablation_1_steps.md") and "every run cut to 1 step" in text
    assert text.startswith("# Figure 3's attack, varied: coordinate and size, over 1 step\n")


def test_a_run_that_just_started_is_not_plotted(tmp_path):
    planned, _ = micro_plan(tmp_path, [1])
    os.makedirs(planned[0].run_dir)
    open(os.path.join(planned[0].run_dir, "metrics.csv"), "w").close()  # opened, nothing flushed yet
    assert planned[0].status() == "unfinished"
    with pytest.raises(FigureError, match="no run on disk"):
        run_figure(2, "micro", str(tmp_path / "results"), str(tmp_path / "out"), DATA, [1], plot_only=True,
                   allow_partial=True)
    assert not os.path.exists(tmp_path / "out")
