"""The robustness grid: the paper's rules and attacks (El Mhamdi, Guerraoui, Rouault, ICML 2018) beside
today's, every rule under every attack, on i.i.d. and heterogeneous data.

    python -m experiments.grid --preset=quick --data_dir=../shared/data
    python -m experiments.grid --preset=paper --data_dir=../shared/data          # writes docs/grid/
    python -m experiments.grid --preset=quick --rules=my-rule,average,krum,bulyan-krum --data_dir=../shared/data
    python -m experiments.grid --preset=paper --processes=2 --data_dir=../shared/data # 2 shards, 1 machine
    python -m experiments.grid --preset=paper --shard=0/4 --data_dir=../shared/data   # 1 of 4 machines
    python -m experiments.grid --preset=paper --plot_only                        # merge what is on disk

Each cell (row, attack column, data split, seed) is one run of the run cache, in
<results_dir>/grid/<preset>/<run name derived from its settings>: finished cells are reused, an interrupted
one resumes from its checkpoint, so a finished grid trains nothing when rerun. One process trains every
cell it owns, after validating them all, printing one progress line per cell with the cells done and left
and an ETA. --rules and --attacks take the preset's row and column ids, or any registered rule or chain
name (a row of its own) and any attack name; Average without attack, the reference, is always in.
--shard=i/k trains only shard i of k: the groups (split, row, column, with every seed) i, i + k, ... of a
fixed dealing order that gives each shard a like share of the costly rules and attacks (cells.py), and writes
no report: give every shard the same other flags, then --plot_only merges. --steal: once its cells are
trained, a shard trains the other shards' cells that no process holds, from the end of their queues (a run
folder is locked while trained). --processes=k runs the k shards on this machine, stealing, each with one
TensorFlow thread, then writes the report: on 2 cores, 2 single-threaded shards train 1.32x the cells per
hour of one process using both cores, with the same numbers (a grid's steps are small;
docs/performance.md). --plot_only trains nothing and reports what is on disk, marking a grid with missing or
unfinished cells PARTIAL; with nothing on disk it writes nothing (exit 2).

Writes <out_dir> (the paper preset) or <out_dir>/<preset>/ (the others): grid_<split>.png (one heatmap per
data split, ':' written '-'), grid.md (per split: median [min, max] over the seeds per cell, the factor
each searching attack used, the diverged runs), README.md (settings, seeds, machine, training time,
the findings' blocks to write and their generated numbers) and cells.csv, the record: every finished cell's
numbers (record.py). A cell in the record counts as finished even where its run folder is not on disk, and
is not trained again: a clone of the project reports, and goes on with, a grid published in part.
"""

import os
import subprocess
import sys

from absl import flags

from experiments.grid import cells as cells_lib
from experiments.grid import presets, record, report, settings, table
from training import command_line, run_queue

RUN_FLAGS = ("data_dir", "strategy", "replicas")

FLAGS = flags.FlagValues()
flags.DEFINE_enum("preset", "quick", list(presets.PRESETS), "paper: Figure 4's workers and schedule, 500 steps, "
                  "3 seeds on iid; quick: every row and column, n = 11, 150 steps, seed 1 on iid (20 to 30 min "
                  "on 2 idle cores); micro: a few steps, for tests.",
                  flag_values=FLAGS)
flags.DEFINE_list("seeds", None, "Seeds of every data split, e.g. 1-3 or 1,2,3; unset: the preset's (paper: "
                  "1-3 on iid, 1 on dirichlet:0.5).", flag_values=FLAGS)
flags.DEFINE_list("rules", None, "Row ids to run (unset: the preset's): " + ", ".join(r.id for r in settings.ROWS)
                  + "; or any rule or chain name. Average without attack is always in.", flag_values=FLAGS)
flags.DEFINE_list("attacks", None, "Column ids to run (unset: the preset's): "
                  + ", ".join(c.id for c in settings.COLUMNS) + "; or any attack name.", flag_values=FLAGS)
flags.DEFINE_list("data", None, "Data splits, e.g. iid,dirichlet:0.5 (unset: the preset's): iid, dirichlet:ALPHA "
                  "or classes:K (training.heterogeneity).", flag_values=FLAGS)
flags.DEFINE_string("shard", None, "i/k: train only shard i of k (0 <= i < k): the groups (split, row, column, "
                    "every seed) i, i+k, i+2k, ... of a fixed dealing order, for k processes sharing a results "
                    "folder; no report (--plot_only merges).", flag_values=FLAGS)
flags.DEFINE_integer("processes", 1, "Train with k processes on this machine (--shard=i/k --steal each, one "
                     "TensorFlow thread each), then write the report; k = the cores is fastest.", lower_bound=1,
                     flag_values=FLAGS)
flags.DEFINE_bool("steal", False, "With --shard=i/k: once its own cells are trained, train the other shards' cells "
                  "that no process holds, from the end of their queues (a run folder is locked while trained, so "
                  "no cell is trained twice; leave it off where the results folder's filesystem has no working "
                  "flock).", flag_values=FLAGS)
flags.DEFINE_bool("plot_only", False, "Train nothing: report the cells on disk or in <out_dir>'s cells.csv (PARTIAL "
                  "when some are missing).",
                  flag_values=FLAGS)
flags.DEFINE_string("results_dir", "results", "Runs go to <results_dir>/grid/<preset>/<run>.", flag_values=FLAGS)
flags.DEFINE_string("out_dir", os.path.join("docs", "grid"), "The report goes to <out_dir> (paper preset) or "
                    "<out_dir>/<preset>/ (the others).", flag_values=FLAGS)
command_line.define_run_flags(FLAGS, names=list(RUN_FLAGS))


def output_dir(out_dir, preset_name):
    """<out_dir> for the paper preset, <out_dir>/<preset> for the others (the published report is never
    overwritten by another preset)."""
    return out_dir if preset_name == "paper" else os.path.join(out_dir, preset_name)


def heatmap_name(split):
    return f"grid_{split.replace(':', '-')}.png"


def _unique(values):
    return list(dict.fromkeys(value.strip() for value in values if value.strip()))


def select(preset, rules=None, attacks=None, data=None, seeds=None):
    """(rows, columns, [(split, seeds)]) asked for, from ids or names (None: the preset's). ValueError, one
    line, for an unknown row or column (listing the known ones), a bad split or seed range."""
    rows = [settings.row(row_id) for row_id in _unique(rules if rules is not None else preset.rows)]
    columns = [settings.column(column_id) for column_id in _unique(attacks if attacks is not None else preset.columns)]
    if not rows:
        raise ValueError("--rules names no row")
    if not columns:
        raise ValueError("--attacks names no column")
    splits = [settings.split(spec) for spec in _unique(data if data is not None else [s for s, _ in preset.splits])]
    if not splits:
        raise ValueError("--data names no data split")
    chosen = command_line.parse_seeds(seeds, default=None) if seeds is not None else None
    return rows, columns, [(split, tuple(chosen or preset.seeds(split))) for split in splits]


def selection_args(preset_name, rules, attacks, data, seeds):
    """The flags that select a grid's cells, as --name=value (None: the flag left out)."""
    args = [f"--preset={preset_name}"]
    for name, values in (("rules", rules), ("attacks", attacks), ("data", data), ("seeds", seeds)):
        if values is not None:
            args.append(f"--{name}={','.join(map(str, values))}")
    return args


def command_text(preset_name, rules, attacks, data, seeds):
    return "python -m experiments.grid " + " ".join(selection_args(preset_name, rules, attacks, data, seeds))


def run_grid(preset="quick", rules=None, attacks=None, data=None, seeds=None, shard=None, plot_only=False,
             results_dir="results", out_dir=os.path.join("docs", "grid"), data_dir=None, command=None, processes=1,
             shard_args=None, steal=False, **run_options):
    """Trains (unless `plot_only`) the cells of this process's shard, then, unsharded, writes the report.
    `preset`: a preset name or a `presets.Preset`; `command`: the report's "written by" line (None: made
    from the arguments); `processes` > 1: the cells are trained by that many shard processes
    (`shard_commands` of this command's flags `shard_args`, each stealing); `steal`: a shard then trains
    the other shards' cells no process holds (`cells.stealing_order`). Returns the paths written ([] for
    a shard)."""
    preset = presets.get(preset) if isinstance(preset, str) else preset
    rows, columns, splits = select(preset, rules, attacks, data, seeds)
    index, count = cells_lib.parse_shard(shard)
    if processes > 1 and shard:
        raise ValueError(f"--processes={processes} runs every shard on this machine; it takes no --shard (got "
                         f"--shard={shard})")
    if steal and count == 1 and processes == 1:
        raise ValueError("--steal helps the other shards of a grid: it needs --shard=i/k with k > 1")
    planned = cells_lib.plan(preset, rows, columns, splits, results_dir, data_dir, **run_options)
    target = output_dir(out_dir, preset.name)
    recorded = record.read(record.path(target))
    label = "grid" if count == 1 else f"grid {index}/{count}"
    if recorded and not plot_only:
        print(f"[{label}] {len(planned) - len(record.not_recorded(planned, recorded))} of the {len(planned)} cells "
              f"are in {record.path(target)}: not trained again", flush=True)
    if processes > 1 and not plot_only:
        run_queue.check_all(cell.config for cell in planned)  # a bad setting fails here, not once per shard
        train_in_processes(shard_commands(processes, shard_args))
    elif not plot_only:
        if steal:  # count > 1 (checked above)
            queue = cells_lib.stealing_order(planned, index, count)
            run_queue.train_all(record.not_recorded(queue, recorded), label, noun=("cell", "cells"), shared_by=count)
        else:
            mine = cells_lib.training_order(cells_lib.shard(planned, index, count))
            run_queue.train_all(record.not_recorded(mine, recorded), label, noun=("cell", "cells"))
        if count > 1:
            print(f"[{label}] this shard is done; the report is written once every shard is done (--plot_only)",
                  flush=True)
            return []
    numbers = record.gather(planned, recorded)
    if not numbers:
        raise ValueError(f"no cell of this grid is finished under {cells_lib.results_dir(results_dir, preset.name)} "
                         f"or recorded in {record.path(target)}; nothing to report (check --results_dir, --out_dir "
                         "and --preset)")
    return write_report(preset, planned, rows, columns, splits, target,
                        command or command_text(preset.name, rules, attacks, data, seeds), numbers, recorded)


def write_report(preset, planned, rows, columns, splits, target, command, numbers, recorded):
    """The heatmaps, grid.md, README.md and the record (cells.csv) of the planned cells into `target`;
    `numbers`: {cell key: `record.Numbers`} of the finished cells (`record.gather`), `recorded`: the record
    read before (its rows of other cells are kept)."""
    from plots.grid_plot import plot_grid

    tables = table.collect(planned, numbers)
    preset_line = preset.describe()
    os.makedirs(target, exist_ok=True)
    paths, heatmaps = [], {}
    for split, split_table in tables.items():
        heatmaps[split] = heatmap_name(split)
        paths.append(plot_grid(table.heatmap_data(split_table, preset_line), os.path.join(target, heatmaps[split])))
    paths.append(os.path.join(target, "grid.md"))
    with open(paths[-1], "w", encoding="utf-8") as file:
        file.write(table.grid_markdown(tables, preset_line))
    seconds = sum(found.seconds for found in numbers.values())
    all_rows = list(dict.fromkeys(cell.row for cell in planned))
    all_columns = list(dict.fromkeys(cell.column for cell in planned))
    paths.append(report.write(os.path.join(target, "README.md"), tables, heatmaps, preset_line, all_rows, all_columns,
                              splits, command, run_queue.machine(), seconds, len(numbers), len(planned)))
    paths.append(record.write(record.path(target), planned, numbers, recorded))
    if any(split_table.partial for split_table in tables.values()):
        print("[grid] PARTIAL: some cells are missing or unfinished", flush=True)
    print("[grid] wrote " + ", ".join(paths), flush=True)
    return paths


SINGLE_THREADED = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}


def shard_commands(count, flag_args):
    """The k commands of `--processes=k`: this command's `flag_args` (without --processes) plus --shard=i/k
    and --steal (a shard done early helps the others)."""
    return [[sys.executable, "-m", "experiments.grid", *flag_args, f"--shard={index}/{count}", "--steal"]
            for index in range(count)]


def train_in_processes(commands):
    """Runs the shards' `commands` (`shard_commands`) at once, each with one TensorFlow thread (unless the
    environment sets the threads), their progress lines on this process's stdout. ValueError, one line,
    when a shard fails (the cells it finished are kept: rerunning resumes)."""
    shards = [subprocess.Popen(shard_command, env={**SINGLE_THREADED, **os.environ}) for shard_command in commands]
    codes = [shard.wait() for shard in shards]
    failed = [f"shard {index}/{len(codes)} exited with code {code}" for index, code in enumerate(codes) if code]
    if failed:
        raise ValueError(", ".join(failed) + "; rerun the same command to resume (finished cells are kept)")


def _flag_args(exclude):
    """This process's flags given on the command line, as --name=value, but those in `exclude`."""
    return [FLAGS[name].serialize() for name in FLAGS if FLAGS[name].present and name not in exclude]


def main(argv):
    del argv  # no positional arguments (`command_line.run`)
    try:
        run_grid(FLAGS.preset, FLAGS.rules, FLAGS.attacks, FLAGS.data, FLAGS.seeds, FLAGS.shard, FLAGS.plot_only,
                 FLAGS.results_dir, FLAGS.out_dir, FLAGS.data_dir, command_line.as_typed("experiments.grid"),
                 processes=FLAGS.processes, shard_args=_flag_args(exclude=("processes", "steal")),
                 steal=FLAGS.steal,
                 **command_line.run_options(FLAGS, ["strategy", "replicas"]))
    except ValueError as error:
        command_line.fail(str(error))
