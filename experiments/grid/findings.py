"""The numbers the grid's findings need, as generated markdown tables (the findings' text is a person's,
written after the paper-preset run; `report` keeps it between markers):

(a) each pre-aggregation chain and momentum row under the paper's attacks (`lp`, `linf`) against its own
    no-attack cell, beside the same rule without the chain or the momentum;
(b) the row with the best worst case, per split (and the next two);
(c) the strongest attack against each row (the column of its worst case);
(d) for the rows with and without momentum, the median gamma of `lp` and of `linf`, and gamma / delta_bar:
    gamma in units of the honest submissions' spread (appendix B.1; under momentum the submissions are the
    momenta).
"""

import numpy as np

from experiments.grid.table import NO_ATTACK, STARRED, markdown_table, percent

PAPER_ATTACKS = ("lp", "linf")

QUESTIONS = (
    ("chains-momentum", "(a) Chains and momentum under the paper's attacks"),
    ("best-worst-case", "(b) The best worst case"),
    ("strongest-attack", "(c) The strongest attack against each rule"),
    ("momentum-gamma", "(d) The attack's gamma with and without momentum"),
)


def _difference(value, reference):
    if np.isnan(value) or np.isnan(reference):
        return "–"
    return f"{100 * (value - reference):+.1f}"


def _plain_rule(row, rows_by_id):
    """The row of the same rule without the chain's pre-aggregation or the momentum, if in the grid."""
    if row.without_momentum:
        return rows_by_id.get(row.without_momentum)
    if row.chain:
        return rows_by_id.get(row.gar.split("+")[-1])
    return None


def chains_and_momentum(table):
    """(a) for one split: lines of markdown."""
    rows_by_id = {row.id: row for row in table.rows}
    attacks = [column_id for column_id in PAPER_ATTACKS if any(c.id == column_id for c in table.columns)]
    chosen = [row for row in table.rows if row.chain or row.momentum]
    if not chosen or not attacks:
        return ["No chain or momentum row under lp or linf in this grid."]
    header = ["rule", "no attack"]
    for attack in attacks:
        header += [attack, f"{attack} − no attack"]
    header += ["same rule without"] + [f"its {attack}" for attack in attacks]
    rows = []
    for row in chosen:
        none = table.value(row.id, NO_ATTACK)
        line = [row.label, percent(none)]
        for attack in attacks:
            value = table.value(row.id, attack)
            line += [percent(value), _difference(value, none)]
        plain = _plain_rule(row, rows_by_id)
        line += [plain.label if plain else "(not in the grid)"]
        line += [percent(table.value(plain.id, attack)) if plain else "–" for attack in attacks]
        rows.append(line)
    return (["Final test accuracy (%, median over the seeds); differences in points.", ""]
            + markdown_table(header, rows))


def best_worst_case(tables):
    """(b): one row per split, the three rows of best worst case."""
    rows = []
    for table in tables.values():
        ranked = [row for row in table.sorted_rows() if not np.isnan(table.worst_case(row.id)[0])]
        places = [f"{row.label}: {table.worst_text(row.id)}" for row in ranked[:3]]
        rows.append([table.split] + places + [""] * (3 - len(places)))
    return (["Worst case: the lowest final test accuracy (%) over the attacks, with the attack reaching it"
             + _partial_legend(tables.values())] + [""]
            + markdown_table(["data", "best", "second", "third"], rows))


def _partial_legend(tables):
    """'.', or the meaning of '*' when a table is partial (`SplitTable.worst_text`)."""
    return f"; {STARRED} (its worst case may still fall)." if any(table.partial for table in tables) else "."


def strongest_attacks(table):
    """(c) for one split."""
    rows = []
    for row in table.rows:
        reached = table.worst_case(row.id)[1]
        if not reached:
            continue
        rows.append([row.label, ", ".join(reached), table.worst_text(row.id, attacks=False),
                     percent(table.value(row.id, NO_ATTACK))])
    if not rows:
        return ["No attack column in this grid."]
    legend = ["Final test accuracy (%, median over the seeds)" + _partial_legend([table]), ""]
    return legend + markdown_table(["rule", "strongest attack", "accuracy under it", "no attack"], rows)


def momentum_gamma(table):
    """(d) for one split: a table per paper attack in the grid."""
    rows_by_id = {row.id: row for row in table.rows}
    pairs = [(rows_by_id[row.without_momentum], row) for row in table.rows
             if row.without_momentum and row.without_momentum in rows_by_id]
    attacks = [column.id for column in table.columns if column.id in PAPER_ATTACKS]
    if not pairs or not attacks:
        return ["No pair of rows with and without momentum under lp or linf in this grid."]
    lines = []
    for attack in attacks:
        rows = []
        for plain, moving in pairs:
            line = [plain.label]
            for measure in ("factor", "leeway"):
                values = [_cell_value(table, row.id, attack, measure) for row in (plain, moving)]
                ratio = f"{values[1] / values[0]:.3g}" if None not in values and values[0] else "–"
                line += [("–" if value is None else f"{value:.3g}") for value in values] + [ratio]
            rows.append(line + [percent(table.value(plain.id, attack)), percent(table.value(moving.id, attack))])
        lines += ([f"{attack}'s gamma, and gamma / delta_bar (gamma in units of the honest submissions' spread, "
                   "appendix B.1; under momentum the submissions are the momenta): per run the median over the "
                   f"steps, then the median over the seeds; final test accuracy (%) under {attack}."] + [""]
                  + markdown_table(["rule", "gamma, no momentum", "gamma, momentum", "ratio",
                                    "gamma / delta_bar, no momentum", "gamma / delta_bar, momentum", "ratio",
                                    "accuracy, no momentum", "accuracy, momentum"], rows) + [""])
    return lines[:-1]


def _cell_value(table, row_id, column_id, measure):
    """The cell's median `factor` or `leeway` over the seeds, None when it has none."""
    cell = table.cells.get((row_id, column_id))
    return getattr(cell, measure) if cell else None


def sections(tables):
    """{question id: markdown lines} for the report, every split under each question."""
    def by_split(build):
        return [line for table in tables.values() for line in [f"Data: {table.split}.", ""] + build(table) + [""]]

    return {
        "chains-momentum": by_split(chains_and_momentum),
        "best-worst-case": best_worst_case(tables) + [""],
        "strongest-attack": by_split(strongest_attacks),
        "momentum-gamma": by_split(momentum_gamma),
    }
