"""A run's metrics.csv: one row per step, written as the run goes; read back as numpy arrays.

Header: step,wall_time,lr,train_loss,accuracy,test_loss,<the attack's logged names...>. Row `step` holds
the values after `step` steps (row 0: the initial model); accuracy and test_loss are empty except at
evaluation steps. wall_time is the training time in seconds, summed over resumed sessions. The steps of
the rows follow each other by one: from 0, or, in a folder seeded with another run's checkpoints alone,
from the step after theirs.

Durable: the file is (re)made by writing a temporary file in its folder, fsyncing it and renaming it into
place, so a kill at any moment leaves the old file or the new one, never a half-written one; rows are then
appended and each is flushed to the OS as it is written (a kill, even SIGKILL, loses none of them), and
`sync` (at each checkpoint) fsyncs them. A kill in the middle of a write can leave a last line cut short,
without its newline: resuming drops it with the rows past the checkpoint, and `read_metrics` ignores it.

A damaged file (emptied, a garbage or binary line, other columns, rows missing before the checkpoint the
run resumes from) raises `RunError` naming it: the checkpoints hold the last state, not the rows before
it, so the only fix is to delete the run folder and train the run again, which the message says.
"""

import csv
import glob
import io
import math
import os

import numpy as np

from training import atomic_file
from training.errors import RunError

BASE_COLUMNS = ("step", "wall_time", "lr", "train_loss", "accuracy", "test_loss")


def _format(value):
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    value = float(value)
    return "nan" if math.isnan(value) else format(value, ".9g")


def _damaged(path, what):
    run_dir = os.path.dirname(os.path.abspath(path))
    what = what.replace("\r", "\\r").replace("\n", "\\n")  # one line
    return RunError(f"{path} {what}; delete the run folder {run_dir} to train the run again (its checkpoints "
                    "cannot rebuild the metrics)")


def _lines(path):
    """The complete lines of `path` (without their line ends); the text after the last newline, a row cut
    short by a kill, is left out. Bytes that are not UTF-8 become U+FFFD (a malformed line)."""
    with open(path, "rb") as file:
        text = file.read().decode("utf-8", errors="replace")
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")[:-1]]


def _header(path, lines):
    """The column names on the first line; RunError when there is none."""
    if not lines:
        raise _damaged(path, "is empty" if os.path.getsize(path) == 0 else "has no complete header line")
    try:
        return next(csv.reader(lines[:1]))
    except csv.Error as error:
        raise _damaged(path, f"has a malformed header ({error})") from None


def _rows(path, lines, columns, last=None):
    """[(step, cells)] of the rows on `lines` (after the header), their steps following each other by one,
    up to the row of step `last` (None: all), what follows it left out. RunError naming `path` for a
    malformed row before it."""
    rows = []
    try:
        for number, cells in enumerate(csv.reader(lines), 2):
            try:
                if len(cells) != len(columns):
                    raise ValueError(f"{len(cells)} cells, not {len(columns)}")
                step = int(cells[0])
                for cell in cells[1:]:
                    if cell != "":
                        float(cell)
            except ValueError as error:
                raise _damaged(path, f"has a malformed line {number} ({error}: {lines[number - 2][:60]!r})") from None
            if last is not None and step > last:
                break
            if rows and step != rows[-1][0] + 1:
                raise _damaged(path, f"has the row of step {step} after that of step {rows[-1][0]} (line {number})")
            rows.append((step, cells))
            if step == last:
                break
    except csv.Error as error:
        raise _damaged(path, f"is not CSV ({error})") from None
    return rows


class MetricsFile:
    """Appends rows to `path`, each flushed as it is written.

    `keep_until` None starts a new file (a run from step 0). Otherwise the run resumes from its checkpoint
    of step `keep_until`: the rows up to it are kept (rewritten atomically), those after it and a cut last
    line dropped. `first_step` is the step the file's rows must start at (0 for a run from the start; None:
    whatever they start at, a missing file or one without row up to `keep_until` then counting as begun at
    the checkpoint); the rows kept must run from it to `keep_until`, else `RunError` (a file with a hole
    is never written). `first_step` and `last_row` (the last kept row, {column: text}) give what was kept."""

    def __init__(self, path, columns, keep_until=None, first_step=0):
        self.path = path
        self.columns = list(columns)
        rows = [] if keep_until is None else self._kept(keep_until, first_step)
        self.first_step = rows[0][0] if rows else (0 if keep_until is None else keep_until + 1)
        self.last_row = dict(zip(self.columns, rows[-1][1])) if rows else None
        self._replace([cells for _, cells in rows])
        self._file = open(path, "a", newline="")
        self._writer = csv.writer(self._file)

    def _kept(self, step, first_step):
        if not os.path.exists(self.path):
            if first_step is not None and first_step <= step:
                raise RunError(f"{self.path} is missing while the run has a checkpoint of step {step}; delete the "
                               f"run folder {os.path.dirname(os.path.abspath(self.path))} to train the run again")
            return []
        lines = _lines(self.path)
        header = _header(self.path, lines)
        if header != self.columns:
            raise _damaged(self.path, f"has the columns {','.join(header)[:200]}, not {','.join(self.columns)}")
        rows = _rows(self.path, lines[1:], self.columns, last=step)
        first = rows[0][0] if rows else step + 1
        if first_step is not None and first != first_step:
            raise _damaged(self.path, f"starts at step {first}, not {first_step}" if rows else
                           f"has no row up to step {step}, the step of the checkpoint the run resumes from")
        if rows and rows[-1][0] != step:
            raise _damaged(self.path, f"ends at step {rows[-1][0]}, before step {step}, the step of the "
                           "checkpoint the run resumes from")
        return rows

    def _replace(self, rows):
        """Replaces the file by the header and `rows`, durably (`training.atomic_file`)."""
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(self.columns)
        writer.writerows(rows)
        atomic_file.replace_text(self.path, text.getvalue(), durable=True)

    def write(self, values):
        """One row from a dict (missing columns stay empty), flushed to the OS at once."""
        self._writer.writerow([_format(values.get(column)) for column in self.columns])
        self._file.flush()

    def sync(self):
        """Makes the rows written so far durable (fsync): at every checkpoint."""
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self):
        self._file.close()


class DiscardedMetrics:
    """A `MetricsFile` that keeps nothing (the non-chief workers of a distributed run)."""

    last_row = None

    def write(self, values):
        pass

    def sync(self):
        pass

    def close(self):
        pass


def _has_checkpoint(run_dir):
    return bool(glob.glob(os.path.join(glob.escape(run_dir), "checkpoints", "ckpt-*.index")))


def read_metrics(run_dir):
    """`<run_dir>/metrics.csv` as {column: float numpy array}, NaN for empty cells. A cut last line is
    left out; an empty file before the run's first checkpoint (written by older versions, which wrote
    nothing until then) gives empty arrays. RunError naming the file when it is damaged."""
    path = os.path.join(run_dir, "metrics.csv")
    lines = _lines(path)
    if not lines and os.path.getsize(path) == 0 and not _has_checkpoint(run_dir):
        return {column: np.array([], dtype=np.float64) for column in BASE_COLUMNS}
    columns = _header(path, lines)
    if tuple(columns[:len(BASE_COLUMNS)]) != BASE_COLUMNS:
        raise _damaged(path, f"has the columns {','.join(columns)[:200]}, not {','.join(BASE_COLUMNS)},...")
    rows = [cells for _, cells in _rows(path, lines[1:], columns)]
    return {column: np.array([float(row[i]) if row[i] != "" else np.nan for row in rows], dtype=np.float64)
            for i, column in enumerate(columns)}
