"""The grid's cells: a cell is (row id, column id, data split, seed), one run of the run cache.

Every cell is one `training.RunConfig` (the preset's settings, the row's rule and momentum, the column's
attack, the split as `heterogeneity`, the seed), in `<results_dir>/grid/<preset>/<derived run name>/`: a
finished cell is reused and an unfinished one resumes (`training.run`), exactly like the figures' runs.

The fixed order: splits as asked, then seeds ascending, then rows as asked, then columns as asked; the
reference cell (Average, no attack) comes first in each (split, seed) when the asked rows and columns do
not hold it. A group is a cell's (split, row, column): its seeds. `--shard=i/k` keeps the groups i, i + k,
i + 2k, ... of the dealing order (the groups sorted by the SHA-256 of their names, fixed on every machine),
so k processes given the same flags (but the shard) share out one grid, each with a like share of the
costly rules and attacks. Dealt in the grid's own order, a shard would take whole columns: on the default
grid, shard 0 of 2 would hold every cell of linf, alie z=auto and ipm epsilon=auto, shard 1 only lp of the
attacks that search with the rule; by the quick grid's cell times, the larger shard would carry 1.20 times
the mean work, 1.05 times in the dealing order.
A process trains its cells group by group (`training_order`): the seeds of a group one after the other,
which reuse one traced step (`training.step_cache`).
"""

import dataclasses
import hashlib
import os

from experiments.grid import settings
from training import run_folder
from training.config import RunConfig


@dataclasses.dataclass(frozen=True)
class Cell:
    row: settings.Row
    column: settings.Column
    split: str
    seed: int
    config: RunConfig

    @property
    def key(self):
        return self.row.id, self.column.id, self.split, self.seed

    @property
    def run_dir(self):
        return run_folder.path(self.config)

    def state(self):
        """The run's `training.run_folder.RunState` (finished, unfinished or missing; diverged_at)."""
        return run_folder.state(self.run_dir, self.config.steps)

    def describe(self):
        return f"{self.row.id} / {self.column.id} / {self.split} / seed {self.seed}"


def results_dir(results_root, preset_name):
    """Where the grid's runs go: `<results_root>/grid/<preset>`."""
    return os.path.join(results_root, "grid", preset_name)


def pairs(rows, columns):
    """The (row, column) pairs of a grid: every asked row under every asked column, and the reference
    (Average, no attack) first when they do not hold it."""
    asked = [(row, column) for row in rows for column in columns]
    if settings.REFERENCE not in {(row.id, column.id) for row, column in asked}:
        asked.insert(0, (settings.row(settings.REFERENCE[0]), settings.column(settings.REFERENCE[1])))
    return asked


def plan(preset, rows, columns, splits, results_root, data_dir=None, **run_options):
    """Every cell, in the fixed order (module doc). `rows`, `columns`: lists of `settings.Row`, `Column`;
    `splits`: (split, seeds) pairs; `run_options`: RunConfig fields that do not change a run (strategy)."""
    base = RunConfig(results_dir=results_dir(results_root, preset.name), data_dir=data_dir,
                     **preset.run_fields(), **run_options)
    cells = []
    for split, seeds in splits:
        for seed in seeds:
            for row, column in pairs(rows, columns):
                config = dataclasses.replace(base, **row.run_fields(), **column.run_fields(), heterogeneity=split,
                                             seed=seed)
                cells.append(Cell(row, column, split, seed, config))
    return cells


def group(cell):
    """A cell's group, (split, row id, column id): its seeds share one traced step."""
    return cell.split, cell.row.id, cell.column.id


def training_order(cells):
    """`cells` in the order a process trains them: by their group in order of first appearance, then by
    seed, so that runs of one traced step follow each other."""
    first = {}
    for position, cell in enumerate(cells):
        first.setdefault(group(cell), position)
    return sorted(cells, key=lambda cell: (first[group(cell)], cell.seed))


def parse_shard(text):
    """'i/k' -> (i, k) with 0 <= i < k; None or '' -> (0, 1). ValueError, one line, otherwise."""
    if not text:
        return 0, 1
    index, slash, count = str(text).partition("/")
    try:
        index, count = int(index), int(count)
    except ValueError:
        index = count = None
    if not slash or index is None or not 0 <= index < count:
        raise ValueError(f"--shard takes i/k with 0 <= i < k (this process's share of k), got {text!r}")
    return index, count


def dealing_order(groups):
    """`groups` sorted by the SHA-256 of their names ('split|row|column'): a fixed order unrelated to the
    grid's rows and columns."""
    return sorted(groups, key=lambda key: hashlib.sha256("|".join(map(str, key)).encode()).hexdigest())


def shard(cells, index, count):
    """Shard i of k (i = `index`, k = `count`): the cells of the groups i, i + k, i + 2k, ... of the
    dealing order, in the order of `cells`."""
    mine = set(dealing_order(dict.fromkeys(map(group, cells)))[index::count])
    return [cell for cell in cells if group(cell) in mine]


def stealing_order(cells, index, count):
    """The queue of shard i of k (i = `index`, k = `count`) that helps the others once its own cells are done:
    its cells in `training_order`, then the other shards' cells in reverse `training_order`, so that it takes
    the cells the others would reach last (and the processes meet in the middle of the slowest queue)."""
    mine = training_order(shard(cells, index, count))
    keys = {cell.key for cell in mine}
    return mine + training_order([cell for cell in cells if cell.key not in keys])[::-1]
