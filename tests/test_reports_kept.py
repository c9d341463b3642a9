"""`python -m experiments.reproduce` keeps the published report: other presets write elsewhere, a results
folder with no run writes nothing, and the report says what was run (micro preset, Figure 2, one seed)."""

import os
import shlex
import shutil
import sys

import pytest

from experiments.paper import claims, figure_runs, reproduce, settings
from training import command_line, run_folder

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.path.dirname(REPO), "shared", "data")
PUBLISHED = os.path.join(REPO, "docs", "reproduction")

pytestmark = pytest.mark.skipif(not os.path.isdir(os.path.join(DATA, "mnist")), reason="../shared/data is absent")


def run_command(args):
    """`python -m experiments.reproduce <args>` in this process; its exit code (0: it returned)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", [os.path.join(REPO, "experiments", "reproduce.py"), *args])
        reproduce.FLAGS.unparse_flags()
        try:
            command_line.run(reproduce.main, reproduce.FLAGS, reproduce.__doc__)
        except SystemExit as exit:
            return exit.code or 0
        finally:
            reproduce.FLAGS.unparse_flags()
    return 0


def published_copy(out_dir):
    """A committed-looking report in `out_dir`: the published README, Figure 2's plot and claims."""
    os.makedirs(out_dir)
    for name in ("README.md", "figure2.png", "figure2_claims.md"):
        shutil.copy(os.path.join(PUBLISHED, name), out_dir)
    return out_dir


def snapshot(folder):
    """{path relative to `folder`: bytes} of every file under `folder`."""
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as file:
                files[os.path.relpath(path, folder)] = file.read()
    return files


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    """The micro reproduction of Figure 2, seed 1, run once as a command into a published-looking report
    folder (whose name has a space). Returns (base folder, the arguments, the report folder, its files before)."""
    base = tmp_path_factory.mktemp("kept")
    out = published_copy(str(base / "report dir"))
    before = snapshot(out)
    args = ["--preset=micro", "--figures=2", "--seeds=1", f"--data_dir={DATA}",
            f"--results_dir={base / 'results'}", f"--out_dir={out}"]
    assert run_command(args) == 0
    return base, args, out, before


def test_a_micro_report_keeps_the_published_one(kept):
    _, _, out, before = kept
    after = snapshot(out)
    assert {path: data for path, data in after.items() if not path.startswith("micro" + os.sep)} == before
    assert sorted(path for path in after if path.startswith("micro" + os.sep)) == [
        os.path.join("micro", name) for name in ("README.md", "figure2.png", "figure2_claims.md")]
    assert "under the `micro` preset" in after[os.path.join("micro", "README.md")].decode()


def test_written_by_is_the_command_run(kept):
    _, args, out, _ = kept
    lines = open(os.path.join(out, "micro", "README.md"), encoding="utf-8").read().splitlines()
    command = lines[lines.index("This file is written by") + 2]
    assert command == "    " + shlex.join(["python", "-m", "experiments.reproduce", *args])
    assert shlex.split(command)[3:] == args  # a reader can repeat it, quoted folder name included


def test_no_run_on_disk_writes_nothing(kept, tmp_path, capsys):
    out = published_copy(str(tmp_path / "report"))
    before = snapshot(out)
    typo = str(tmp_path / "resuls")
    code = run_command(["--preset=micro", "--figures=2", "--seeds=1", "--plot_only", "--allow_partial",
                        f"--data_dir={DATA}", f"--results_dir={typo}", f"--out_dir={out}"])
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert code == 2 and len(errors) == 1 and os.path.join(typo, "micro") in errors[0], errors
    assert snapshot(out) == before  # no micro report either
    assert os.listdir(tmp_path) == ["report"]  # nor a results folder


def test_claims_and_plot_agree_on_an_unfinished_run(kept, tmp_path, monkeypatch):
    import plots

    base = kept[0]
    results = tmp_path / "results"
    shutil.copytree(base / "results", results)
    runs = {run.key: run for run in figure_runs.plan(settings.get(2), "micro", str(results), DATA, [1])[0]}
    brute, geomed = runs[("mnist", "brute")], runs[("mnist", "geomed")]
    run_folder.write_config(brute.run_dir, dict(run_folder.read_config(brute.run_dir), finished=False))
    metrics = os.path.join(brute.run_dir, "metrics.csv")
    rows = open(metrics).read().splitlines()
    open(metrics, "w").write("\n".join(rows[:4]) + "\n")  # the header and steps 0, 1, 2 of 3
    shutil.rmtree(geomed.run_dir)  # never started
    drawn = {}
    plot_figure = plots.plot_figure

    def spy(figure, runs, *args, **kwargs):
        drawn.update({key: int(by_seed[1]["step"][-1]) for key, by_seed in runs.items()})
        return plot_figure(figure, runs, *args, **kwargs)

    monkeypatch.setattr(plots, "plot_figure", spy)
    reproduce.reproduce([2], "micro", [1], str(results), str(tmp_path / "out"), DATA, plot_only=True,
                        allow_partial=True)
    table = open(tmp_path / "out" / "micro" / "figure2_claims.md").read()
    assert drawn[("mnist", "brute")] == 2 and ("mnist", "geomed") not in drawn
    brute_row = next(line for line in table.splitlines() if line.startswith("| 5.2.1 | ... except for Brute."))
    assert "unfinished: Brute (step 2 of 3)" in brute_row and "missing" not in brute_row
    assert "missing: GeoMed" in table and "missing: Brute" not in table
    assert "a run still training is drawn on the plot as far as it got" in table


def test_the_seeds_sentence_with_one_and_several_seeds(kept):
    figure = settings.get(2)
    _, one = claims.evaluate(2, {1: claims.Results(figure, {})}, "preset")
    assert one.splitlines()[4] == ("One seed (1): each value is measured on its runs, and a claim holds when it "
                                   "holds on them. " + claims.INTERVAL_SENTENCE)
    _, several = claims.evaluate(2, {seed: claims.Results(figure, {}) for seed in (1, 2, 3)}, "preset")
    assert several.splitlines()[4] == ("Seeds: 1, 2, 3. Measured values: median [min, max] over the seeds. A claim "
                                       "holds overall when it holds in more than half of the seeds. "
                                       + claims.INTERVAL_SENTENCE)
    report = open(os.path.join(kept[2], "micro", "README.md"), encoding="utf-8").read()
    assert "\nOne seed (1). Machine: " in report and "\nA plot draws that seed's runs, and a claim holds" in report
    assert "over the seeds" not in report and "half of the seeds" not in report
    assert reproduce.seeds_text([1, 2])[0].startswith("Seeds: 1, 2 (a figure's panels may use fewer")
