"""A run's metrics.csv: one row per step, written as the run goes; read back as numpy arrays.

Header: step,wall_time,lr,train_loss,accuracy,test_loss,<the attack's logged names...>. Row `step` holds
the values after `step` steps (row 0: the initial model); accuracy and test_loss are empty except at
evaluation steps. wall_time is the training time in seconds, summed over resumed sessions.
"""

import csv
import math
import os

import numpy as np

BASE_COLUMNS = ("step", "wall_time", "lr", "train_loss", "accuracy", "test_loss")


def _format(value):
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    value = float(value)
    return "nan" if math.isnan(value) else format(value, ".9g")


class MetricsFile:
    """Appends rows to `path`. Opening it keeps only the rows with step <= `keep_until` (the step of the
    checkpoint the run resumes from); None starts a new file."""

    def __init__(self, path, columns, keep_until=None):
        self.path = path
        self.columns = list(columns)
        rows = []
        if keep_until is not None and os.path.exists(path):
            with open(path, newline="") as file:
                reader = csv.reader(file)
                if next(reader, None) != self.columns:
                    raise ValueError(f"{path} has other columns than {self.columns}")
                rows = [row for row in reader if row and int(row[0]) <= keep_until]
        self._file = open(path, "w", newline="")
        self._writer = csv.writer(self._file)
        self._writer.writerow(self.columns)
        self._writer.writerows(rows)
        self.last_row = dict(zip(self.columns, rows[-1])) if rows else None

    def write(self, values):
        """One row from a dict (missing columns stay empty)."""
        self._writer.writerow([_format(values.get(column)) for column in self.columns])

    def flush(self):
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self):
        self._file.close()


class DiscardedMetrics:
    """A `MetricsFile` that keeps nothing (the non-chief workers of a distributed run)."""

    last_row = None

    def write(self, values):
        pass

    def flush(self):
        pass

    def close(self):
        pass


def read_metrics(run_dir):
    """`<run_dir>/metrics.csv` as {column: float numpy array}, NaN for empty cells."""
    with open(os.path.join(run_dir, "metrics.csv"), newline="") as file:
        reader = csv.reader(file)
        columns = next(reader, None)
        if columns is None:  # a run that has just started: nothing written to disk yet
            return {column: np.array([], dtype=np.float64) for column in BASE_COLUMNS}
        rows = [row for row in reader if row]
    return {column: np.array([float(row[i]) if row[i] != "" else np.nan for row in rows], dtype=np.float64)
            for i, column in enumerate(columns)}
