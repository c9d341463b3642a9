"""`<out_dir>/README.md`: the grid's settings, seeds, machine and training time (the wall time, which no run
records, in a block a person fills in), its heatmaps, and the
findings: for each question a block that a person fills in after the paper-preset run (kept, between its
markers, when the report is written again) and the numbers it needs (`findings`), generated."""

import os
import re

from experiments.grid import findings

PLACEHOLDER = "_To be written by a person after the paper-preset run, from the numbers below._"
WALL_CLOCK = "wall-clock"  # a block a person fills in too: the runs log training time, not the grid's wall time
WALL_CLOCK_PLACEHOLDER = "_Wall time: to be written by the person who ran the grid (processes, sessions, load)._"
_BLOCK = re.compile(r"<!-- finding: (?P<id>[\w-]+) -->\n(?P<text>.*?)\n<!-- end of finding -->", re.S)


def kept_findings(path):
    """{question id: text} of the findings a person wrote in the README at `path` (placeholders left out)."""
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as file:
        text = file.read()
    return {match["id"]: match["text"] for match in _BLOCK.finditer(text)
            if match["text"].strip() not in (PLACEHOLDER, WALL_CLOCK_PLACEHOLDER)}


def _block(question, kept, placeholder):
    """The kept text of `question` between its markers, or `placeholder`."""
    return [f"<!-- finding: {question} -->", kept.get(question, placeholder), "<!-- end of finding -->"]


def _options(pairs):
    return ", ".join(f"{key}={value}" for key, value in pairs) or "defaults"


def _source(registry_get, name):
    try:
        return getattr(registry_get(name), "source", "") or ""
    except ValueError:
        return ""


def settings_lines(rows, columns, splits):
    """The rows', columns' and splits' tables."""
    import aggregators
    import attacks

    lines = ["## Rows: the rules", "", "| id | label | rule | options | worker momentum | source |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        momentum = (f"beta = {row.momentum:g}, dampening {row.momentum_dampening:g}" if row.momentum else "none")
        lines.append(f"| `{row.id}` | {row.label} | `{row.gar}` | {_options(row.gar_options)} | {momentum} | "
                     f"{_source(aggregators.get, row.gar)} |")
    lines += ["", "## Columns: the attacks", "", "| id | label | attack | options | factor logged | source |",
              "|---|---|---|---|---|---|"]
    for column in columns:
        factor = (f"`{column.factor}`" + (", searched every step" if column.searched else "")) if column.factor else ""
        lines.append(f"| `{column.id}` | {column.label} | `{column.attack}` | {_options(column.options)} | {factor} | "
                     f"{_source(attacks.get, column.attack)} |")
    lines += ["", "## Data splits and seeds", "", "| data | seeds |", "|---|---|"]
    lines += [f"| `{split}` | {', '.join(map(str, seeds))} |" for split, seeds in splits]
    return lines + [""]


def write(path, tables, heatmaps, preset_line, rows, columns, splits, command, machine, training_seconds,
          finished_count, cell_count):
    """Writes the README at `path`; `heatmaps`: {split: PNG file name}; `training_seconds`: summed over the
    `finished_count` finished cells of the `cell_count` planned. Returns `path`."""
    kept = kept_findings(path)
    partial = any(table.partial for table in tables.values())
    minutes = training_seconds / 60
    lines = ["# The robustness grid: the paper's rules and attacks beside today's", "",
             "Every rule (row) under every attack (column), on each data split and seed: one training run per "
             "cell, the final test accuracy in each cell. The paper's rules and attacks are those of El Mhamdi, "
             "Guerraoui, Rouault (ICML 2018); the others are cited in the tables below. This file is written by",
             "", f"    {command}", "",
             f"Settings: {preset_line}. Under `none` all n workers are honest and f is only declared to the rule "
             "(the paper's Figure 6); under an attack the last f workers are Byzantine.", "",
             f"Machine (where this report was written): {machine}. Training time: {minutes:.1f} min summed over "
             f"the runs of the {finished_count} finished cells"
             + (f" of {cell_count}" if finished_count < cell_count else "")
             + f" ({training_seconds / max(finished_count, 1):.1f} s per cell), from each run's own wall time on "
             "the machine that trained it (it grows when other jobs share the machine).", ""]
    lines += _block(WALL_CLOCK, kept, WALL_CLOCK_PLACEHOLDER) + [""]
    if partial:
        lines += ["**PARTIAL: some cells are missing or unfinished (see [grid.md](grid.md)).**", ""]
    lines += ["## Heatmaps", "", "The median final test accuracy over the seeds in each cell; the rows sorted by "
              "their worst case over the attacks (the last column). Every number, with its min and max over the "
              "seeds, the factor each searching attack used, and the diverged runs: [grid.md](grid.md); each run's "
              "numbers, one line per cell and seed: [cells.csv](cells.csv).", ""]
    lines += [f"![{split}]({name})" for split, name in heatmaps.items()] + [""]
    lines += ["## Findings", ""]
    generated = findings.sections(tables)
    for question, heading in findings.QUESTIONS:
        lines += ([f"### {heading}", ""] + _block(question, kept, PLACEHOLDER) + ["", "Numbers (generated):", ""]
                  + generated[question] + [""])
    lines += settings_lines(rows, columns, splits)
    with open(path, "w", encoding="utf-8") as file:
        file.write("\n".join(lines).rstrip() + "\n")
    return path
