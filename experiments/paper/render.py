"""One figure from its runs on disk: the plot (`plots.figure_plot`) and the claims table (section 5.2).

A run missing or unfinished is refused (FigureError naming the runs) unless `allow_partial`, and then the
plot and the table say PARTIAL on their face. A figure with no run on disk at all is never drawn, so a
mistyped --results_dir cannot overwrite a good plot with an empty one. The plot draws an unfinished run
as far as it got; the claims measure finished runs only and name an unfinished one with the step it
reached, so the table and the plot agree on which runs exist.
"""

import os

from experiments.paper import claims, figure_runs, settings
from training import run_folder


class FigureError(ValueError):
    """A figure that cannot be drawn as asked (missing runs, nothing on disk)."""


def recorded(run):
    """The metrics of a planned run on disk, or None when it is missing or has no step yet."""
    if run.status() == "missing":
        return None
    metrics = run_folder.read_metrics(run.run_dir)
    return metrics if len(metrics["step"]) else None  # an empty file: started, nothing flushed yet


def check_complete(number, planned):
    """FigureError naming the runs of Figure `number` that are missing or unfinished, if any."""
    incomplete = [(run, state) for run, state in ((run, run.status()) for run in planned) if state != "finished"]
    if not incomplete:
        return
    names = "; ".join(f"{run.describe()}: {state}" for run, state in incomplete[:5])
    more = f" (and {len(incomplete) - 5} more)" if len(incomplete) > 5 else ""
    raise FigureError(f"Figure {number}: {len(incomplete)} of {len(planned)} runs are missing or unfinished: "
                      f"{names}{more}; train them, or pass --allow_partial to plot what there is")


def finished_results(figure, planned):
    """{seed: claims.Results} of `figure`'s finished runs among `planned`, each seed knowing its planned
    run keys (a claim then names a planned run it lacks as missing)."""
    metrics, keys = {}, {}
    for run in planned:
        keys.setdefault(run.seed, set()).add(run.key)
        if run.status() == "finished":
            metrics.setdefault(run.seed, {})[run.key] = run_folder.read_metrics(run.run_dir)
    return {seed: claims.Results(figure, by_key, planned=keys[seed]) for seed, by_key in metrics.items()}


def _progress(run, metrics):
    """(last step on disk or None, steps asked for) of an unfinished run."""
    return (int(metrics["step"][-1]) if metrics is not None else None), run.config.steps


def render(number, planned, lines, out_base, allow_partial=False, formats=("png", "pdf")):
    """Plots Figure `number` from the planned runs (`figure_runs.plan`) on disk and writes its claims table
    to `<out_base>_claims.md`. Returns (paths, table text, claims rows)."""
    from plots import plot_figure

    figure = settings.get(number)
    if not allow_partial:
        check_complete(number, planned)
    runs, finished, unfinished, partial = {}, {}, {}, False
    for run in planned:
        state = run.status()
        partial = partial or state != "finished"
        metrics = recorded(run)
        if state == "unfinished":
            unfinished.setdefault(run.seed, {})[run.key] = _progress(run, metrics)
        if metrics is None:
            continue
        runs.setdefault(run.key, {})[run.seed] = metrics
        if state == "finished":
            finished.setdefault(run.seed, {})[run.key] = metrics
    if not runs:
        raise FigureError(f"Figure {number}: no run on disk under {planned[0].config.results_dir}; nothing to "
                          "plot (check --results_dir and --preset)")
    seeds = sorted({run.seed for run in planned})
    steps = figure_runs.steps_text(planned)
    os.makedirs(os.path.dirname(out_base) or ".", exist_ok=True)
    paths = plot_figure(figure, runs, lines, steps, seeds, out_base, partial=partial, formats=formats)
    results = {seed: claims.Results(figure, finished.get(seed, {}), {run.key for run in planned if run.seed == seed},
                                    unfinished.get(seed, {}))
               for seed in seeds}
    rows, table = claims.evaluate(number, results, "; ".join(lines), partial=partial)
    with open(out_base + "_claims.md", "w") as out:
        out.write(table)
    return paths + [out_base + "_claims.md"], table, rows


def report_dir(out_dir, preset):
    """<out_dir> for the paper preset, <out_dir>/<preset> for the others (a published report is never
    overwritten by another preset)."""
    return out_dir if preset == "paper" else os.path.join(out_dir, preset)


def write_markdown(out_dir, preset, name, lines):
    """Writes `lines` to `report_dir(out_dir, preset)`/`name`, prints them and the path; returns the path."""
    folder = report_dir(out_dir, preset)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as file:
        file.write("\n".join(lines))
    print("\n".join(lines))
    print(f"wrote {path}")
    return path
