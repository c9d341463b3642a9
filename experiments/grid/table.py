"""The grid's results, from each finished run's numbers (`record.Numbers`: its run on disk, or the published
record): per cell the final test accuracy over the seeds, the factor a searching attack used, the diverged
runs; per row its worst case over the attacks; the heatmap's data and the markdown of `grid.md`.

- A cell's value is the median, over its finished seeds, of each run's last evaluated test accuracy (a run
  stopped diverged counts with the accuracy it was evaluated at when it stopped: its parameters are not
  finite, which is a failure of the rule); min and max over the seeds beside it.
- The factor (`settings.Column.factor`: gamma for lp, linf, Min-Max, Min-Sum; z for ALIE; epsilon for IPM):
  per run, the median over the attacked steps of the logged column; per cell, the median over the seeds.
- The leeway (lp, linf, which log `settings.Column.spread`): per run, the median over the attacked steps of
  gamma / delta_bar, gamma in units of the honest submissions' spread (appendix B.1's delta_bar); per
  cell, the median over the seeds.
- A row's worst case: the minimum of its attack cells (every column but "no attack") that have a value.
- A grid with a cell missing or unfinished is PARTIAL: it says so, and each such cell shows how many of its
  seeds are in. Cells the asked rows and columns do not hold (the reference row under the other columns,
  when Average was not asked) are blank, not missing.

Plain Python and NumPy (no TensorFlow).
"""

import dataclasses

import numpy as np

NO_ATTACK = "none"
STARRED = "* over the row's cells in so far"  # the legend of a worst case marked by `SplitTable.worst_text`


@dataclasses.dataclass
class CellResult:
    """One (row, column) cell of one split, over its seeds."""

    row: object  # settings.Row
    column: object  # settings.Column
    seeds: tuple  # asked
    finals: dict = dataclasses.field(default_factory=dict)  # seed -> final accuracy (finished runs)
    factors: dict = dataclasses.field(default_factory=dict)  # seed -> median logged factor (finished runs)
    leeways: dict = dataclasses.field(default_factory=dict)  # seed -> median factor / spread (finished runs)
    diverged: dict = dataclasses.field(default_factory=dict)  # seed -> step (finished runs that diverged)
    incomplete: dict = dataclasses.field(default_factory=dict)  # seed -> "missing" or "unfinished"

    @property
    def complete(self):
        return not self.incomplete

    @property
    def median(self):
        return float(np.median(list(self.finals.values()))) if self.finals else float("nan")

    @property
    def low(self):
        return min(self.finals.values()) if self.finals else float("nan")

    @property
    def high(self):
        return max(self.finals.values()) if self.finals else float("nan")

    @property
    def factor(self):
        return _median_of_known(self.factors)

    @property
    def leeway(self):
        return _median_of_known(self.leeways)


def _median_of_known(by_seed):
    values = [value for value in by_seed.values() if value is not None]
    return float(np.median(values)) if values else None


@dataclasses.dataclass
class SplitTable:
    """The cells of one data split: rows and columns in the plan's order, cells by (row id, column id)."""

    split: str
    seeds: tuple
    rows: list
    columns: list
    cells: dict

    @property
    def partial(self):
        return any(not cell.complete for cell in self.cells.values())

    def value(self, row_id, column_id):
        cell = self.cells.get((row_id, column_id))
        return cell.median if cell else float("nan")

    def attack_columns(self):
        return [column for column in self.columns if column.attack != NO_ATTACK]

    def worst_case(self, row_id):
        """(the minimum over the row's attack cells with a value, [the column ids reaching it]);
        (NaN, []) when the row has none."""
        values = {column.id: self.value(row_id, column.id) for column in self.attack_columns()}
        values = {key: value for key, value in values.items() if not np.isnan(value)}
        if not values:
            return float("nan"), []
        worst = min(values.values())
        return worst, [key for key, value in values.items() if value == worst]

    def row_complete(self, row_id):
        """Whether every attack cell the grid holds for the row has all its seeds in (else its worst case
        is only that of the cells in so far: the true one may be lower)."""
        return all(cell.complete for (row, column), cell in self.cells.items()
                   if row == row_id and cell.column.attack != NO_ATTACK)

    def worst_text(self, row_id, attacks=True):
        """The row's worst case as text: '60.6', with ' *' while the row is not complete (`row_complete`)
        and, with `attacks`, the columns reaching it ('60.6 * (alie-auto)'); '–' when it has none."""
        worst, reached = self.worst_case(row_id)
        text = percent(worst) + ("" if self.row_complete(row_id) else " *")
        return text + (f" ({', '.join(reached)})" if attacks and reached else "")

    def sorted_rows(self):
        """The rows, best worst case first (rows without one last; ties keep the plan's order)."""
        def key(indexed):
            worst = self.worst_case(indexed[1].id)[0]
            return (np.isnan(worst), -worst if not np.isnan(worst) else 0.0, indexed[0])

        return [row for _, row in sorted(enumerate(self.rows), key=key)]


def collect(cells, numbers):
    """{split: SplitTable} from the planned cells (`cells.plan`) and `numbers`, {cell key: `record.Numbers`}
    of those finished (`record.gather`: their runs on disk, or the record)."""
    tables = {}
    for cell in cells:
        table = tables.get(cell.split)
        if table is None:
            table = tables[cell.split] = SplitTable(cell.split, (), [], [], {})
        if cell.seed not in table.seeds:
            table.seeds += (cell.seed,)
        if cell.row not in table.rows:
            table.rows.append(cell.row)
        if cell.column not in table.columns:
            table.columns.append(cell.column)
        result = table.cells.setdefault((cell.row.id, cell.column.id), CellResult(cell.row, cell.column, ()))
        result.seeds += (cell.seed,)
        found = numbers.get(cell.key)
        if found is None:
            result.incomplete[cell.seed] = cell.state().status
            continue
        result.finals[cell.seed] = found.final_accuracy
        result.factors[cell.seed] = found.factor
        if cell.column.spread:
            result.leeways[cell.seed] = found.leeway
        if found.diverged_at is not None:
            result.diverged[cell.seed] = found.diverged_at
    for table in tables.values():
        table.seeds = tuple(sorted(table.seeds))
        none_first = sorted(table.columns, key=lambda column: column.attack != NO_ATTACK)
        table.columns[:] = none_first
    return tables


def percent(value):
    return "–" if value is None or np.isnan(value) else f"{100 * value:.1f}"


def cell_text(cell, spread=True):
    """'91.4 [90.1, 92.0]' (several seeds; `spread`), '91.4' (one), with '†' when a seed diverged and
    '(2 of 3 seeds)' when some are missing (on a line of its own without `spread`: a heatmap's cell is
    narrow); 'missing' when none is in; '' for no cell."""
    if cell is None:
        return ""
    if not cell.finals:
        return "missing" if all(state == "missing" for state in cell.incomplete.values()) else "unfinished"
    text = percent(cell.median)
    if spread and len(cell.finals) > 1:
        text += f" [{percent(cell.low)}, {percent(cell.high)}]"
    if cell.diverged:
        text += " †"
    if cell.incomplete:
        text += ("\n" if not spread else " ") + f"({len(cell.finals)} of {len(cell.seeds)} seeds)"
    return text


@dataclasses.dataclass(frozen=True)
class HeatmapData:
    """What `plots.grid_plot.plot_grid` draws: rows sorted by their worst case (best first), the attack
    columns, each cell's median accuracy (NaN: no value) and text, the worst-case column."""

    title: str
    footer: str
    row_labels: tuple
    column_labels: tuple
    values: np.ndarray  # [rows, columns]
    texts: tuple  # [rows][columns]
    worst: np.ndarray  # [rows]
    worst_texts: tuple
    partial: bool


def heatmap_data(table, preset_line):
    """The heatmap of one split's table (`SplitTable`): rows sorted by `sorted_rows`."""
    rows = table.sorted_rows()
    values = np.array([[table.value(row.id, column.id) for column in table.columns] for row in rows], dtype=float)
    values = values.reshape(len(rows), len(table.columns))
    texts = tuple(tuple(cell_text(table.cells.get((row.id, column.id)), spread=False) for column in table.columns)
                  for row in rows)
    worst = np.array([table.worst_case(row.id)[0] for row in rows], dtype=float)
    seeds = table.seeds
    seeds_text = (f"seed {seeds[0]}" if len(seeds) == 1 else
                  f"median over seeds {', '.join(map(str, seeds))}")
    partial = " PARTIAL: some cells are missing or unfinished." if table.partial else ""
    title = f"Final test accuracy (%), data {table.split}, {seeds_text}.{partial}"
    footer = (f"{preset_line}. Rows sorted by their worst case over the attacks (last column); † a seed diverged"
              + (f"; {STARRED}." if table.partial else "."))
    worst_texts = tuple(table.worst_text(row.id, attacks=False) for row in rows)
    return HeatmapData(title, footer, tuple(row.label for row in rows), tuple(column.label for column in table.columns),
                       values, texts, worst, worst_texts, table.partial)


def markdown_table(header, rows):
    """The lines of a markdown table: the header, the rule, one line per row (lists of cell texts)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def split_markdown(table):
    """The markdown of one split: accuracy per cell, the factor per searching attack, the diverged runs,
    and the runs not finished."""
    seeds = ("seed " if len(table.seeds) == 1 else "seeds ") + ", ".join(map(str, table.seeds))
    state = " **PARTIAL: some cells are missing or unfinished.**" if table.partial else ""
    lines = [f"## Data: {table.split} ({seeds})", "",
             "Final test accuracy (%): the median over the seeds [min, max]; rows sorted by their worst case "
             "over the attacks (last column, with the attack reaching it"
             + (f"; {STARRED}" if table.partial else "") + f"); † a seed diverged.{state}", ""]
    rows = []
    for row in table.sorted_rows():
        rows.append([row.label] + [cell_text(table.cells.get((row.id, column.id))) for column in table.columns]
                    + [table.worst_text(row.id)])
    lines += markdown_table(["rule"] + [column.label for column in table.columns] + ["worst case"], rows) + [""]
    searched = [column for column in table.columns if column.searched]
    if searched:
        lines += ["The factor each searching attack used: per run the median over the attacked steps of the "
                  "logged value, then the median over the seeds.", ""]
        factor_rows = []
        for row in table.sorted_rows():
            cells = [table.cells.get((row.id, column.id)) for column in searched]
            factor_rows.append([row.label] + [_number(cell, "factor") for cell in cells])
        lines += markdown_table(["rule"] + [f"{column.label} ({column.factor})" for column in searched],
                              factor_rows) + [""]
    spread = [column for column in table.columns if column.spread]
    if spread:
        lines += ["The leeway of the paper's attacks: per run the median over the attacked steps of gamma / "
                  "delta_bar (gamma in units of the honest submissions' spread, appendix B.1), then the median "
                  "over the seeds.", ""]
        leeway_rows = [[row.label] + [_number(table.cells.get((row.id, column.id)), "leeway") for column in spread]
                       for row in table.sorted_rows()]
        lines += markdown_table(["rule"] + [f"{column.label} (gamma / {column.spread})" for column in spread],
                              leeway_rows) + [""]
    diverged = [f"- {cell.row.label} / {cell.column.label} / seed {seed}: diverged at step {step}"
                for cell in table.cells.values() for seed, step in sorted(cell.diverged.items())]
    lines += ["Diverged runs:", ""] + (diverged or ["- none"]) + [""]
    incomplete = [f"- {cell.row.label} / {cell.column.label} / seed {seed}: {status}"
                  for cell in table.cells.values() for seed, status in sorted(cell.incomplete.items())]
    if incomplete:
        lines += ["Runs not finished:", ""] + incomplete + [""]
    return "\n".join(lines)


def _number(cell, measure):
    """A cell's `factor` or `leeway` to 3 significant digits; '–' when it has none, '' for no cell."""
    if cell is None:
        return ""
    value = getattr(cell, measure)
    return "–" if value is None else f"{value:.3g}"


def grid_markdown(tables, preset_line):
    """`grid.md`: every split's tables."""
    partial = any(table.partial for table in tables.values())
    head = ["# The robustness grid" + (" (PARTIAL)" if partial else ""), "", preset_line + ".", ""]
    return "\n".join(head + [split_markdown(table) for table in tables.values()]).rstrip() + "\n"
