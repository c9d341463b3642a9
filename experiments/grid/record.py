"""`<out_dir>/cells.csv`: the numbers of every finished cell, published beside the report.

A cell's run lives in the results folder, which a clone of the project or another machine does not have.
The record keeps, per finished run, what the report reads from it: the final test accuracy, the factor a
searching attack used and its leeway (`table`'s definitions), the step it diverged at, its training
seconds. A planned cell whose run is not finished on disk but is in the record under the same run name
(the name derives from every setting that changes the numbers, `training.config.derived_run_name`) counts
as finished with the recorded numbers: the report is written again from the record alone, and the grid
goes on, training only the cells recorded nowhere. The record keeps the rows it was given and adds or
updates those of the cells reported, so a report over part of the grid loses no row.

The floats are written with `repr`, so a report from the record is the report from the runs, digit for
digit. Plain Python and NumPy (no TensorFlow).
"""

import csv
import dataclasses
import os

import numpy as np

from experiments.paper import claims
from training import run_folder

FILE_NAME = "cells.csv"
FIELDS = ("split", "seed", "row", "column", "run", "final_accuracy", "factor", "leeway", "diverged_at", "seconds")


@dataclasses.dataclass(frozen=True)
class Numbers:
    """A finished run's numbers, as the report uses them (None: not logged, or did not diverge)."""

    final_accuracy: float
    factor: float = None
    leeway: float = None
    diverged_at: int = None
    seconds: float = 0.0


def final_accuracy(metrics):
    """The last evaluated test accuracy of a run's metrics (NaN when none; `claims.final_accuracy` raises)."""
    _, evaluated = claims.evaluations(metrics)
    return float(evaluated[-1]) if evaluated.size else float("nan")


def median_factor(metrics, name, per=None):
    """The median over the steps of the logged column `name`, or of `name` / `per` step by step (NaN
    rows, the steps without attack, skipped); None when the run does not log them."""
    if not name or name not in metrics or (per is not None and per not in metrics):
        return None
    values = np.asarray(metrics[name], dtype=float)
    if per is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            values = values / np.asarray(metrics[per], dtype=float)
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else None


def from_run(cell):
    """The `Numbers` of `cell`'s run on disk, or None when it is not finished."""
    state = cell.state()
    if not state.finished:
        return None
    metrics = run_folder.read_metrics(cell.run_dir)
    column = cell.column
    return Numbers(final_accuracy(metrics), median_factor(metrics, column.factor),
                   median_factor(metrics, column.factor, per=column.spread) if column.spread else None,
                   state.diverged_at, run_folder.time_trained(cell.run_dir)[1])


def run_name(cell):
    return cell.config.resolved_run_name()


def gather(cells, recorded):
    """{cell key: Numbers} of the `cells` finished: on disk, else in `recorded` ({run name: row}, `read`)."""
    numbers = {}
    for cell in cells:
        found = from_run(cell)
        row = recorded.get(run_name(cell)) if found is None else None
        if row is not None:
            found = _numbers(row)
        if found is not None:
            numbers[cell.key] = found
    return numbers


def not_recorded(cells, recorded):
    """The `cells` whose run is in no row of `recorded` (those a process still has to train or reuse)."""
    return [cell for cell in cells if run_name(cell) not in recorded]


def path(target):
    return os.path.join(target, FILE_NAME)


def read(file_path):
    """{run name: row (dict of FIELDS, as text)} of the record at `file_path` ({} when there is none).
    ValueError, one line, naming the file when its header is not FIELDS."""
    if not os.path.exists(file_path):
        return {}
    with open(file_path, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        if tuple(reader.fieldnames or ()) != FIELDS:
            raise ValueError(f"{file_path} is not a grid record: its header is {reader.fieldnames}, expected "
                             f"{','.join(FIELDS)} (move it away to start a new record)")
        return {row["run"]: row for row in reader}


def write(file_path, cells, numbers, recorded):
    """Writes the record: the rows of `recorded` not among `cells`' runs, then one row per cell of `cells`
    with `numbers` ({cell key: Numbers}, `gather`), in the cells' order."""
    mine = {run_name(cell) for cell in cells}
    rows = [row for name, row in recorded.items() if name not in mine]
    for cell in cells:
        found = numbers.get(cell.key)
        if found is not None:
            rows.append({"split": cell.split, "seed": cell.seed, "row": cell.row.id, "column": cell.column.id,
                         "run": run_name(cell), "final_accuracy": repr(found.final_accuracy),
                         "factor": _text(found.factor), "leeway": _text(found.leeway),
                         "diverged_at": "" if found.diverged_at is None else found.diverged_at,
                         "seconds": repr(found.seconds)})
    with open(file_path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return file_path


def _text(value):
    return "" if value is None else repr(value)


def _numbers(row):
    """`Numbers` of a record row (text)."""
    def optional(text, kind):
        return None if text == "" else kind(text)

    return Numbers(float(row["final_accuracy"]), optional(row["factor"], float), optional(row["leeway"], float),
                   optional(row["diverged_at"], int), float(row["seconds"]))
