"""The robustness grid (`python -m experiments.grid`) at the micro preset on a small synthetic dataset:
sharding then merging gives the table of one unsharded run, the heatmap's worst-case column and row order,
resuming an interrupted cell, a finished grid retraining nothing, bad values, a custom rule's row, and
--plot_only with nothing on disk."""

import dataclasses
import hashlib
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from aggregators import registry
from aggregators.rule import Rule
from experiments.grid import cells, command, findings, presets, record, report, settings, table
from interrupting import steps_raising_at
from training import command_line, datasets, loop, run_folder

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

datasets.register("synthetic", lambda *_: datasets.synthetic(train=256, test=100), model="mnist_mlp")

MICRO = dataclasses.replace(presets.get("micro"), dataset="synthetic")  # 4 steps, n = 11, f = 2
GRID = dict(rules=["average", "krum"], attacks=["none", "lp", "signflip"], data=["iid"])  # 6 cells


def _smallest_norms(gradients, f):
    """README's example rule: the mean of the n - f rows of smallest l2 norm."""
    norms = tf.norm(gradients, axis=1)
    keep = tf.argsort(norms)[: gradients.shape[0] - f]
    return tf.reduce_mean(tf.gather(gradients, keep), axis=0)


@pytest.fixture
def custom_rule():
    """Registers README's example rule as "test-smallest-norms" (once per process: the registry keeps it)."""
    if "test-smallest-norms" not in registry.names():
        registry.register(Rule(name="test-smallest-norms", source="tests only", workers=(2, 1),
                               aggregate_fn=_smallest_norms))
    return "test-smallest-norms"


def _grid(results, out, **changes):
    return command.run_grid(MICRO, **{**GRID, **changes}, results_dir=str(results), out_dir=str(out))


def _planned(results, **changes):
    selection = {**GRID, **changes}
    rows, columns, splits = command.select(MICRO, selection["rules"], selection["attacks"], selection["data"])
    return cells.plan(MICRO, rows, columns, splits, str(results))


def _collect(planned):
    """{split: SplitTable} of the planned cells' runs on disk."""
    return table.collect(planned, record.gather(planned, {}))


def _forbid_training(monkeypatch):
    monkeypatch.setattr(loop, "make_train_step", lambda *args, **kwargs: pytest.fail("a finished cell trained"))


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """The 6-cell grid trained unsharded, once for this module: (results folder, report folder)."""
    base = tmp_path_factory.mktemp("whole")
    _grid(base / "results", base / "out")
    return base / "results", base / "out" / "micro"


def test_sharded_then_merged_gives_the_unsharded_table(whole, tmp_path, capsys):
    results, out = tmp_path / "results", tmp_path / "out"
    assert _grid(results, out, shard="0/2") == []  # a shard trains and writes no report
    assert not os.path.exists(out)
    assert "[grid 0/2] 3 of 3 cells done" in capsys.readouterr().out
    partial = _grid(results, out, plot_only=True)
    assert "PARTIAL" in open(out / "micro" / "grid.md").read().splitlines()[0]
    assert "PARTIAL" in open(out / "micro" / "README.md").read()
    assert "summed over the runs of the 3 finished cells of 6 (" in open(out / "micro" / "README.md").read()
    assert len(partial) == 4  # grid_iid.png, grid.md, README.md, cells.csv
    _grid(results, out, shard="1/2")
    _grid(results, out, plot_only=True)
    merged = open(out / "micro" / "grid.md").read()
    assert "PARTIAL" not in merged and "missing" not in merged
    assert merged == open(whole[1] / "grid.md").read()
    assert "summed over the runs of the 6 finished cells (" in open(out / "micro" / "README.md").read()


def test_processes_train_every_shard_then_write_the_unsharded_table(whole, tmp_path, monkeypatch):
    results, out = tmp_path / "results", tmp_path / "out"
    shards_run = []

    def in_this_process(commands):  # the shard commands' work, without new processes
        for index, shard_command in enumerate(commands):
            assert shard_command[-2:] == [f"--shard={index}/{len(commands)}", "--steal"]
            assert "--preset=micro" in shard_command
            shards_run.append(_grid(results, out, shard=shard_command[-2].partition("=")[2], steal=True))

    monkeypatch.setattr(command, "train_in_processes", in_this_process)
    paths = _grid(results, out, processes=2, shard_args=["--preset=micro"])
    assert shards_run == [[], []] and len(paths) == 4
    assert open(out / "micro" / "grid.md").read() == open(whole[1] / "grid.md").read()


def test_shard_processes_run_single_threaded_and_a_failure_is_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS", raising=False)
    monkeypatch.delenv("TF_NUM_INTEROP_THREADS", raising=False)
    script = ("import os, sys; open(sys.argv[1], 'w').write(os.environ['TF_NUM_INTRAOP_THREADS'] + "
              "os.environ['TF_NUM_INTEROP_THREADS']); sys.exit(int(sys.argv[2]))")
    commands = [[sys.executable, "-c", script, str(tmp_path / str(index)), code] for index, code in enumerate("030")]
    with pytest.raises(ValueError) as error:
        command.train_in_processes(commands)
    assert str(error.value) == "shard 1/3 exited with code 3; rerun the same command to resume (finished cells are kept)"
    assert [open(tmp_path / str(index)).read() for index in range(3)] == ["11", "11", "11"]
    command.train_in_processes(commands[:1])  # every shard exits 0: no error


def test_the_shard_commands_repeat_the_flags_given(tmp_path):
    try:
        command_line.parser(command.FLAGS, command.__doc__)(
            ["grid", "--preset=micro", "--processes=2", "--seeds=1,2", f"--results_dir={tmp_path}"])
        flag_args = command._flag_args(exclude=("processes",))
    finally:
        command.FLAGS.unparse_flags()
    assert flag_args == ["--preset=micro", "--seeds=1,2", f"--results_dir={tmp_path}"]
    assert command.shard_commands(2, flag_args) == [
        [sys.executable, "-m", "experiments.grid", *flag_args, f"--shard={index}/2", "--steal"] for index in range(2)]


def test_shards_partition_the_fixed_order(tmp_path):
    planned = _planned(tmp_path, data=["iid", "dirichlet:0.5"])
    keys = [cell.key for cell in planned]
    assert keys[:3] == [("average", "none", "iid", 1), ("average", "lp", "iid", 1), ("average", "signflip", "iid", 1)]
    assert keys[6][2] == "dirichlet:0.5" and len(keys) == 12
    shards = [cells.shard(planned, i, 3) for i in range(3)]
    assert sorted(cell.key for part in shards for cell in part) == sorted(keys)
    # shard 1 of 3: the groups at positions 1, 4, ... when sorted by the hex SHA-256 of 'split|row|column'
    names = sorted({"|".join((split, row, column)) for row, column, split, _ in keys},
                   key=lambda name: hashlib.sha256(name.encode()).hexdigest())
    assert {"|".join((cell.split, cell.row.id, cell.column.id)) for cell in shards[1]} == set(names[1::3])
    assert [cell.key for cell in shards[1]] == [key for key in keys if "|".join(key[2:3] + key[:2]) in names[1::3]]


def test_a_stealing_shard_queues_its_cells_then_the_others_last_first(tmp_path):
    planned = _planned(tmp_path, data=["iid", "dirichlet:0.5"])
    mine, others = cells.training_order(cells.shard(planned, 1, 3)), cells.training_order(
        cells.shard(planned, 0, 3) + cells.shard(planned, 2, 3))
    queue = [cell.key for cell in cells.stealing_order(planned, 1, 3)]
    assert len(mine) < len(planned) and sorted(queue) == sorted(cell.key for cell in planned)
    assert queue == [cell.key for cell in mine] + [cell.key for cell in cells.training_order(
        [cell for cell in planned if cell.key not in {mine_cell.key for mine_cell in mine}])][::-1]
    assert set(queue[len(mine):]) == {cell.key for cell in others}


def test_a_stealing_shard_alone_trains_the_whole_grid_with_the_same_numbers(whole, tmp_path, capsys):
    selection = dict(rules=["average"], attacks=["none", "signflip"])  # 2 cells, one per shard of 2
    assert _grid(tmp_path / "results", tmp_path / "out", shard="0/2", steal=True, **selection) == []
    assert "[grid 0/2] 2 of 2 cells done" in capsys.readouterr().out
    (alone,) = _collect(_planned(tmp_path / "results", **selection)).values()
    (reference,) = _collect(_planned(whole[0])).values()
    assert {key: cell.finals for key, cell in alone.cells.items()} == {
        key: reference.cells[key].finals for key in alone.cells}


def test_a_shard_holds_every_seed_of_its_groups_and_a_like_share_of_each_attack():
    preset = presets.get("paper")
    planned = cells.plan(preset, *command.select(preset), "results")  # 912 cells, nothing trained
    shards = [cells.shard(planned, index, 2) for index in range(2)]
    seeds = {}
    for index, part in enumerate(shards):
        for cell in part:
            seeds.setdefault(cells.group(cell), set()).add(index)
    assert all(len(owners) == 1 for owners in seeds.values())  # a group's seeds never split
    searching = ("lp", "linf", "alie-auto", "ipm-auto")  # the attacks that search with the rule
    for part in shards:  # the grid's own order would give shard 0 every cell of three of them, shard 1 one
        share = sum(cell.column.id in searching for cell in part) / sum(cell.column.id in searching for cell in planned)
        assert 0.35 <= share <= 0.65, share


def test_a_process_trains_the_seeds_of_a_cell_one_after_the_other(tmp_path):
    planned = cells.plan(MICRO, *command.select(MICRO, GRID["rules"], GRID["attacks"], ["iid", "dirichlet:0.5"],
                                                ["1", "2"]), str(tmp_path))
    assert [cell.seed for cell in planned[:7]] == [1] * 6 + [2]  # the fixed order: seed by seed
    ordered = cells.training_order(planned)
    assert sorted(ordered, key=planned.index) == planned  # the same cells
    keys = [(cell.split, cell.row.id, cell.column.id, cell.seed) for cell in ordered]
    assert keys[:4] == [("iid", "average", "none", 1), ("iid", "average", "none", 2),
                        ("iid", "average", "lp", 1), ("iid", "average", "lp", 2)]
    assert [key[0] for key in keys] == ["iid"] * 12 + ["dirichlet:0.5"] * 12


def test_the_reference_cell_is_always_planned(tmp_path):
    keys = [cell.key for cell in _planned(tmp_path, rules=["krum"], attacks=["lp"])]
    assert keys == [("average", "none", "iid", 1), ("krum", "lp", "iid", 1)]


def test_a_finished_grid_trains_nothing(whole, tmp_path, monkeypatch, capsys):
    planned = _planned(whole[0])
    assert all(cell.state().finished for cell in planned)
    _forbid_training(monkeypatch)
    _grid(whole[0], tmp_path)
    out = capsys.readouterr().out
    assert "[grid] 6 of 6 cells done" in out and "now:" not in out


def _published(whole, tmp_path):
    """A copy of the whole grid's report folder (its record included): what a clone of the project holds."""
    out = tmp_path / "out"
    shutil.copytree(whole[1], out / "micro")
    return out


def test_the_record_alone_writes_the_same_report(whole, tmp_path, monkeypatch):
    out = _published(whole, tmp_path)
    _forbid_training(monkeypatch)
    paths = _grid(tmp_path / "no-results", out, plot_only=True)  # no run on disk: every number from cells.csv
    assert [os.path.basename(path) for path in paths] == ["grid_iid.png", "grid.md", "README.md", "cells.csv"]
    for name in ("grid.md", "README.md", "cells.csv"):
        assert open(out / "micro" / name).read() == open(whole[1] / name).read(), name


def test_a_recorded_cell_is_not_trained_again(whole, tmp_path, capsys):
    out = _published(whole, tmp_path)
    lines = open(out / "micro" / "cells.csv").read().splitlines()
    assert lines[0] == ",".join(record.FIELDS) and len(lines) == 7  # 6 cells
    dropped = next(line for line in lines if ",krum,lp," in line)
    open(out / "micro" / "cells.csv", "w").write("\n".join(line for line in lines if line != dropped) + "\n")
    results = tmp_path / "results"
    _grid(results, out)
    printed = capsys.readouterr().out
    assert "5 of the 6 cells are in " in printed and "[grid] 1 of 1 cells done" in printed
    trained = [cell.key for cell in _planned(results) if cell.state().status != run_folder.MISSING]
    assert trained == [("krum", "lp", "iid", 1)]
    assert open(out / "micro" / "grid.md").read() == open(whole[1] / "grid.md").read()
    def without_seconds(text_lines):  # the retrained cell's training time differs
        return sorted(line.rpartition(",")[0] for line in text_lines)

    assert without_seconds(open(out / "micro" / "cells.csv").read().splitlines()) == without_seconds(lines)


def test_the_record_round_trips_every_number_and_keeps_the_rows_of_other_cells(tmp_path):
    (cell,) = _planned(tmp_path / "results", rules=["average"], attacks=["none"])
    numbers = record.Numbers(0.1 + 0.2, factor=None, leeway=1 / 3, diverged_at=17, seconds=2.5e-7)
    other = {"split": "iid", "seed": "9", "row": "x", "column": "y", "run": "another-run", "final_accuracy": "nan",
             "factor": "", "leeway": "", "diverged_at": "", "seconds": "1.0"}
    path = record.write(str(tmp_path / "cells.csv"), [cell], {cell.key: numbers}, {"another-run": other})
    recorded = record.read(path)
    assert list(recorded) == ["another-run", record.run_name(cell)] and recorded["another-run"] == other
    assert record.gather([cell], recorded) == {cell.key: numbers}
    assert np.isnan(record._numbers(other).final_accuracy) and record._numbers(other).factor is None
    assert record.not_recorded([cell], recorded) == [] and record.not_recorded([cell], {}) == [cell]


def test_a_file_that_is_not_a_record_is_one_line(tmp_path):
    (tmp_path / "cells.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"cells.csv is not a grid record: its header is \['a', 'b'\], expected "
                                         r"split,seed,row,column,run,"):
        record.read(str(tmp_path / "cells.csv"))


def test_an_interrupted_cell_resumes(whole, tmp_path, monkeypatch, capsys):
    reference = dict(rules=["average"], attacks=["none"])
    (cell,) = _planned(tmp_path / "results", **reference)
    # the 3rd step raises, as a kill would stop it (checkpoint at step 2)
    with steps_raising_at(monkeypatch, 3), pytest.raises(KeyboardInterrupt):
        _grid(tmp_path / "results", tmp_path / "out", **reference)
    assert cell.state().status == run_folder.UNFINISHED
    capsys.readouterr()
    _grid(tmp_path / "results", tmp_path / "out", **reference)
    assert "resuming from the checkpoint at step 2" in capsys.readouterr().out
    assert cell.state().finished
    resumed = run_folder.read_metrics(cell.run_dir)
    (uninterrupted,) = [c for c in _planned(whole[0]) if c.key == cell.key]
    expected = run_folder.read_metrics(uninterrupted.run_dir)
    for column in expected:
        if column != "wall_time":
            np.testing.assert_array_equal(resumed[column], expected[column], err_msg=column)


def _result(row, column, value):
    result = table.CellResult(row, column, (1,))
    result.finals[1] = value
    return result


def test_worst_case_is_the_minimum_over_the_attack_cells_and_rows_sort_by_it():
    rows = [settings.Row(name, name.upper(), "average") for name in ("a", "b", "c")]
    columns = [settings.column(name) for name in ("none", "lp", "signflip")]
    values = {"a": (0.1, 0.5, 0.7), "b": (0.9, 0.2, 0.3), "c": (0.9, 0.8, 0.6)}  # none is not an attack
    split = table.SplitTable("iid", (1,), rows, columns, {(row.id, column.id): _result(row, column, values[row.id][j])
                                                          for row in rows for j, column in enumerate(columns)})
    del split.cells[("c", "signflip")]  # a cell the grid does not hold
    data = table.heatmap_data(split, "preset test")
    assert data.row_labels == ("C", "A", "B")
    np.testing.assert_array_equal(data.worst, [0.8, 0.5, 0.2])
    assert split.worst_case("b") == (0.2, ["lp"])
    assert data.texts[0] == ("90.0", "80.0", "") and not data.partial


def test_a_worst_case_over_a_row_not_all_in_is_starred_wherever_it_is_written():
    rows = [settings.Row(name, name.upper(), "average") for name in ("a", "b")]
    columns = [settings.column(name) for name in ("none", "lp", "signflip")]
    values = {"a": (0.9, 0.6, 0.7), "b": (0.9, 0.8, 0.5)}
    split = table.SplitTable("iid", (1,), rows, columns, {(row.id, column.id): _result(row, column, values[row.id][j])
                                                          for row in rows for j, column in enumerate(columns)})
    split.cells[("b", "signflip")] = table.CellResult(rows[1], columns[2], (1,), incomplete={1: "unfinished"})
    assert split.worst_case("b") == (0.8, ["lp"])  # over the cells in so far
    assert (split.worst_text("a"), split.worst_text("b")) == ("60.0 (lp)", "80.0 * (lp)")
    assert table.heatmap_data(split, "preset test").worst_texts == ("80.0 *", "60.0")
    best = "\n".join(findings.best_worst_case({"iid": split}))
    assert "| iid | B: 80.0 * (lp) | A: 60.0 (lp) |" in best and "* over the row's cells in so far" in best
    strongest = findings.strongest_attacks(split)
    assert "| B | lp | 80.0 * | 90.0 |" in strongest and "| A | lp | 60.0 | 90.0 |" in strongest
    del split.cells[("b", "signflip")]  # a cell the grid does not hold: the row is complete
    assert split.worst_text("b") == "80.0 (lp)" and "*" not in "\n".join(findings.best_worst_case({"iid": split}))


def test_a_cell_missing_seeds_says_how_many_it_holds_on_a_line_of_its_own_in_the_heatmap():
    row, column = settings.Row("a", "A", "average"), settings.column("lp")
    cell = table.CellResult(row, column, (1, 2, 3), finals={1: 0.86, 3: 0.9}, diverged={3: 40},
                            incomplete={2: "missing"})
    assert table.cell_text(cell) == "88.0 [86.0, 90.0] † (2 of 3 seeds)"
    assert table.cell_text(cell, spread=False) == "88.0 †\n(2 of 3 seeds)"
    assert table.cell_text(table.CellResult(row, column, (1,), incomplete={1: "unfinished"})) == "unfinished"


def test_heatmap_data_of_a_trained_grid(whole):
    (split,) = _collect(_planned(whole[0])).values()
    data = table.heatmap_data(split, "preset micro")
    attack = [j for j, column in enumerate(split.columns) if column.attack != "none"]
    assert [column.id for column in split.columns] == ["none", "lp", "signflip"]
    np.testing.assert_array_equal(data.worst, np.nanmin(data.values[:, attack], axis=1))
    assert list(data.worst) == sorted(data.worst, reverse=True)
    assert os.path.getsize(whole[1] / "grid_iid.png") < 300_000
    factor = split.cells[("krum", "lp")].factor
    assert factor is not None and factor > 0 and split.cells[("krum", "signflip")].factor is None
    lp_run = [cell for cell in _planned(whole[0]) if cell.row.id == "krum" and cell.column.id == "lp"][0]
    metrics = run_folder.read_metrics(lp_run.run_dir)
    gamma, spread = np.asarray(metrics["gamma"], float), np.asarray(metrics["delta_bar"], float)
    attacked = np.isfinite(gamma) & np.isfinite(spread)
    steps = np.asarray(metrics["step"])  # row t logs the step from t - 1 to t, measured at t - 1
    np.testing.assert_array_equal(attacked, (steps >= 1) & ((steps - 1) % settings.SPREAD_EVERY == 0))
    assert attacked.sum() >= 1 and np.all(spread[attacked] > 0)
    assert split.cells[("krum", "lp")].leeway == pytest.approx(np.median(gamma[attacked] / spread[attacked]))
    assert split.cells[("krum", "signflip")].leeway is None


def test_the_leeway_is_the_median_over_the_steps_of_gamma_over_the_spread():
    metrics = {"gamma": [np.nan, 2.0, 4.0, 9.0, 1.0], "delta_bar": [np.nan, 1.0, 2.0, 3.0, 0.0]}
    assert record.median_factor(metrics, "gamma", per="delta_bar") == 2.0  # 2, 2, 3; 1 / 0 skipped
    assert record.median_factor(metrics, "gamma") == 3.0  # 2, 4, 9, 1
    assert record.median_factor({"gamma": [1.0]}, "gamma", per="delta_bar") is None


def test_the_momentum_finding_divides_gamma_by_the_spread():
    plain = settings.row("krum")
    moving = settings.row("krum+momentum")
    lp, linf = settings.column("lp"), settings.column("linf")
    cells = {}
    for column, scale in ((lp, 1.0), (linf, 0.5)):
        for row, gamma, leeway, final in ((plain, 4.0, 8.0, 0.2), (moving, 1.0, 6.0, 0.9)):
            result = table.CellResult(row, column, (1, 2))
            result.finals = {1: final, 2: final}
            result.factors = {1: scale * gamma, 2: scale * gamma}
            result.leeways = {1: scale * leeway - 1, 2: scale * leeway + 1}  # median: scale * leeway
            cells[(row.id, column.id)] = result
    split = table.SplitTable("iid", (1, 2), [plain, moving], [lp, linf], cells)
    lines = findings.momentum_gamma(split)
    assert [line for line in lines if line.startswith("| Krum |")] == [
        "| Krum | 4 | 1 | 0.25 | 8 | 6 | 0.75 | 20.0 | 90.0 |",  # lp
        "| Krum | 2 | 0.5 | 0.25 | 4 | 3 | 0.75 | 20.0 | 90.0 |"]  # linf
    assert lines[0].startswith("lp's gamma") and any(line.startswith("linf's gamma") for line in lines)
    assert "gamma / delta_bar" in table.split_markdown(split)


def test_a_custom_rule_gets_its_row(whole, tmp_path, custom_rule):
    paths = _grid(whole[0], tmp_path, rules=["test-smallest-norms"], attacks=["none"])
    report = open(paths[1]).read()
    line = next(line for line in report.splitlines() if line.startswith("| test-smallest-norms |"))
    assert float(line.split("|")[2]) > 0  # its accuracy under no attack
    assert settings.row("test-smallest-norms") == settings.Row("test-smallest-norms", "test-smallest-norms",
                                                              "test-smallest-norms")


def test_a_written_finding_survives_a_new_report(whole, tmp_path):
    paths = _grid(whole[0], tmp_path, plot_only=True)
    readme = paths[-2]
    assert readme.endswith("README.md")
    text = open(readme).read()
    assert text.count(report.PLACEHOLDER) == len(findings.QUESTIONS)
    assert text.count(report.WALL_CLOCK_PLACEHOLDER) == 1
    marker = "<!-- finding: best-worst-case -->\n"
    wall_clock = f"<!-- finding: {report.WALL_CLOCK} -->\n"
    text = text.replace(marker + report.PLACEHOLDER, marker + "Krum holds best.\nSee the table.")
    open(readme, "w").write(text.replace(wall_clock + report.WALL_CLOCK_PLACEHOLDER, wall_clock + "2 h on 2 cores."))
    _grid(whole[0], tmp_path, plot_only=True)
    text = open(readme).read()
    assert marker + "Krum holds best.\nSee the table.\n<!-- end of finding -->" in text
    assert wall_clock + "2 h on 2 cores.\n<!-- end of finding -->" in text
    assert text.count(report.PLACEHOLDER) == len(findings.QUESTIONS) - 1
    assert report.WALL_CLOCK_PLACEHOLDER not in text


def test_plot_only_with_nothing_on_disk_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="no cell of this grid is finished under"):
        _grid(tmp_path / "results", tmp_path / "out", plot_only=True)
    assert not os.path.exists(tmp_path / "out")


@pytest.mark.parametrize("argv, message", [
    (["--rules=krum,nope"], "error: unknown row 'nope'; rows: average, krum, geomed, bulyan-krum, "),
    (["--attacks=lp,zzz"], "error: unknown column 'zzz'; columns: none, lp, linf, alie, alie-auto, "),
    (["--shard=3/2"], "error: --shard takes i/k with 0 <= i < k (this process's share of k), got '3/2'"),
    (["--shard=1"], "error: --shard takes i/k"),
    (["--processes=2", "--shard=0/2"], "error: --processes=2 runs every shard on this machine; it takes no --shard"),
    (["--processes=0"], "error: flag --processes=0: "),
    (["--steal"], "error: --steal helps the other shards of a grid: it needs --shard=i/k with k > 1"),
    (["--seeds=3-1"], "error: --seeds range '3-1' is empty"),
    (["--seeds=,"], "error: --seeds names no seed"),
    (["--data=dirichlet:-1"], "error: --data: heterogeneity dirichlet:ALPHA needs a finite ALPHA > 0"),
    (["--preset=huge"], "error: flag --preset=huge: value should be one of <paper|quick|micro>"),
    (["--plot_only", "--results_dir=/nonexistent/grid"], "error: no cell of this grid is finished under"),
])
def test_a_bad_value_is_one_line_and_exit_2(argv, message, capsys, tmp_path):
    try:
        with pytest.raises(SystemExit) as exit_info:
            command_line.parser(command.FLAGS, command.__doc__)(["grid", f"--out_dir={tmp_path}"] + argv)
            command.main(["grid"])
    finally:
        command.FLAGS.unparse_flags()
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_info.value.code == 2 and len(err) == 1 and err[0].startswith(message), err
    assert os.listdir(tmp_path) == []


def test_help_lists_the_flags(capsys):
    with pytest.raises(SystemExit) as exit_info:
        command_line.parser(command.FLAGS, command.__doc__)(["grid", "--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0 and out.startswith("The robustness grid")
    for name in ("preset", "seeds", "rules", "attacks", "data", "shard", "processes", "steal", "plot_only", "results_dir",
                 "out_dir",
                 "data_dir", "strategy", "replicas"):
        assert f"--{name}" in out or f"--[no]{name}" in out, name


def test_the_command_runs_as_a_package():
    result = subprocess.run([sys.executable, "-m", "experiments.grid", "--preset=micro", "--shard=2/2"], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 2 and "Traceback" not in result.stderr and errors == [
        "error: --shard takes i/k with 0 <= i < k (this process's share of k), got '2/2'"]


def test_output_folders_keep_the_published_report():
    assert command.output_dir(os.path.join("docs", "grid"), "paper") == os.path.join("docs", "grid")
    assert command.output_dir(os.path.join("docs", "grid"), "quick") == os.path.join("docs", "grid", "quick")
    assert cells.results_dir("results", "micro") == os.path.join("results", "grid", "micro")
    assert command.heatmap_name("dirichlet:0.5") == "grid_dirichlet-0.5.png"
