"""Cells per hour of the robustness grid (`python -m experiments.grid`), four ways, in one run:

    python benchmarks/bench_grid.py --data_dir=../shared/data
    python benchmarks/bench_grid.py --preset=paper --seeds=1 --ways=c,d --data_dir=../shared/data

(a) one process per cell (`training.run` in a fresh Python: imports, data, tracing every time);
(b) one process for every cell, each tracing its own step (the kept step cleared before each cell);
(c) one process for every cell as the grid trains them: the seeds of a cell one after the other, on the
    step traced for the first (`training.step_cache`);
(d) the command `python -m experiments.grid --processes=2`: two shard processes at once, one TensorFlow
    thread each, then the report (their imports, data, tracing and the report count against it; (c) is
    timed warm).
The cells: a preset's settings (`experiments/grid/presets.py`; --preset, default quick), rows --rules
under columns --attacks over --seeds, i.i.d. data; each way of --ways trains them in fresh folders under
--work_dir in turn, (a) on the first --separate cells only (it is slow). Cells per hour from the wall time
of each way; ratios of each to the first way run.
"""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from training import command_line  # noqa: E402

command_line.import_tensorflow_quietly()  # no TensorFlow INFO banners on stderr

from absl import flags  # noqa: E402

from experiments.grid import cells, command, presets  # noqa: E402
from training import run_queue, step_cache  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FLAGS = flags.FlagValues()
flags.DEFINE_string("data_dir", os.path.join(os.path.dirname(REPO), "shared", "data"), "Folder holding mnist/.",
                    flag_values=FLAGS)
flags.DEFINE_enum("preset", "quick", ["quick", "paper"], "The cells' settings.", flag_values=FLAGS)
flags.DEFINE_list("ways", ["a", "b", "c", "d"], "Ways to time, among a, b, c, d.", flag_values=FLAGS)
flags.DEFINE_list("rules", ["krum", "trimmed-mean", "nnm+trimmed-mean"], "Rows.", flag_values=FLAGS)
flags.DEFINE_list("attacks", ["none", "lp", "alie"], "Columns.", flag_values=FLAGS)
flags.DEFINE_list("seeds", ["1-3"], "Seeds of every cell.", flag_values=FLAGS)
flags.DEFINE_integer("separate", 6, "Cells trained one process each, way (a).", flag_values=FLAGS)
flags.DEFINE_string("work_dir", None, "Where the runs go (deleted after; default: a temporary folder).",
                    flag_values=FLAGS)

_ONE_CELL = "import json, sys, training; training.run(training.RunConfig(**json.loads(sys.argv[1])), progress=False)"


def planned_cells(results_dir):
    preset = presets.get(FLAGS.preset)
    rows, columns, splits = command.select(preset, FLAGS.rules, FLAGS.attacks, ["iid"], FLAGS.seeds)
    return cells.plan(preset, rows, columns, splits, results_dir, FLAGS.data_dir)


def separate_processes(planned):
    """Seconds to train `planned`, one fresh Python process per cell."""
    start = time.perf_counter()
    for cell in planned:
        fields = json.dumps(dataclasses.asdict(cell.config), default=str)
        subprocess.run([sys.executable, "-c", _ONE_CELL, fields], check=True, cwd=REPO,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def one_process(planned, keep_steps):
    """Seconds to train `planned` in this process, in the grid's order; the kept step cleared before each
    cell unless `keep_steps`."""
    import training

    start = time.perf_counter()
    for cell in cells.training_order(planned):
        if not keep_steps:
            step_cache.clear()
        training.run(cell.config, progress=False)
    return time.perf_counter() - start


def grid_command(work, processes):
    """Seconds of `python -m experiments.grid --processes=<processes>` on the cells, report included."""
    start = time.perf_counter()
    selection = command.selection_args(FLAGS.preset, FLAGS.rules, FLAGS.attacks, ["iid"], FLAGS.seeds)
    subprocess.run([sys.executable, "-m", "experiments.grid", *selection, f"--processes={processes}",
                    f"--results_dir={work}", f"--out_dir={os.path.join(work, 'report')}",
                    f"--data_dir={FLAGS.data_dir}"],
                   check=True, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv):
    del argv
    if not FLAGS.ways or set(FLAGS.ways) - set("abcd"):
        command_line.fail(f"--ways takes letters among a, b, c, d, got {','.join(FLAGS.ways)!r}")
    work = FLAGS.work_dir or tempfile.mkdtemp(prefix="bench_grid_")
    try:
        planned = planned_cells(work)
        run_queue.check_all(cell.config for cell in planned)
        one_process(planned_cells(os.path.join(work, "warm-up"))[:1], False)  # TensorFlow started, data read
        step_cache.clear()
        ways, count = {}, len(planned)
        if "a" in FLAGS.ways:
            subset = planned_cells(os.path.join(work, "a"))[:FLAGS.separate]
            ways["(a) one process per cell"] = (len(subset), separate_processes(subset))
        for way, label, keep in (("b", "(b) one process, a step traced per cell", False),
                                 ("c", "(c) one process, a step per cell's seeds", True)):
            if way in FLAGS.ways:
                step_cache.clear()
                ways[label] = (count, one_process(planned_cells(os.path.join(work, way)), keep))
        if "d" in FLAGS.ways:
            ways["(d) --processes=2, single-threaded shards"] = (count, grid_command(os.path.join(work, "d"), 2))
        print(f"{FLAGS.preset} preset, rows {', '.join(FLAGS.rules)}; columns {', '.join(FLAGS.attacks)}; seeds "
              f"{', '.join(FLAGS.seeds)}; i.i.d.; load average (1 min) {os.getloadavg()[0]:.2f}")
        rates = {label: 3600 * cells_timed / seconds for label, (cells_timed, seconds) in ways.items()}
        for label, (cells_timed, seconds) in ways.items():
            print(f"  {label:<42} {cells_timed:3d} cells  {seconds:7.1f} s  {seconds / cells_timed:6.2f} s/cell  "
                  f"{rates[label]:7.0f} cells/hour")
        first, *others = rates
        for label in others:
            print(f"  cells/hour: {label[:3]} / {first[:3]} = x{rates[label] / rates[first]:.2f}")
    finally:
        if not FLAGS.work_dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    command_line.run(main, FLAGS, __doc__)
