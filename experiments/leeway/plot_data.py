"""The values the leeway plots draw (`plots.leeway_plot.LeewayPlotData`), from the study's saved results:
the predictions of appendix B beside each measured gamma_m, the fitted slopes, appendix B's closed forms
against d and f (`theory`), and Bulyan's summaries (section 4; `bulyan_claims`). The plots compute nothing."""

import numpy as np

from experiments.leeway import bulyan_claims, claims, theory
from plots.leeway_plot import LeewayPlotData

CURVE_POINTS = 50  # points of each closed-form curve against d


def _d_theory(points, rules):
    """{(rule, p): (d grid, closed form at delta_bar = 1, label)} over the d sweep's range, at its f."""
    grid = np.geomspace(min(m["d"] for m in points), max(m["d"] for m in points), CURVE_POINTS)
    curves = {}
    for rule in rules:
        f = next(m["f"] for m in points if m["rule"] == rule)
        for p in theory.EXPONENT_D:
            curves[rule, p] = (grid, [theory.paper(rule, p, d, f, 1.0) for d in grid],
                               f"appendix B (b = 0), exponent {theory.EXPONENT_D[p]:g}")
    return curves


def _f_theory(points, rules):
    """{(rule, p): (f from 1 to the largest, closed form at d = delta_bar = 1, label)}."""
    grid = np.arange(1, max(m["f"] for m in points) + 1)
    return {(rule, p): (grid, [theory.paper(rule, p, 1.0, f, 1.0) for f in grid],
                        f"appendix B (b = 0), exponent {theory.EXPONENT_F[rule]:g}")
            for rule in rules for p in theory.EXPONENT_D}


def plot_data(results, slope_rows):
    """A LeewayPlotData from the study's `results` (`study.run`, or its saved JSON) and its slope rows
    (`claims.slopes(results["points"])`)."""
    d_points = [claims.with_predictions(p) for p in results["points"] if p["sweep"] == "d"]
    f_points = [p for p in results["points"] if p["sweep"] == "f"]
    rules = claims.RULE_NAMES
    bulyan = results["bulyan"]
    return LeewayPlotData(
        description=results["description"], rule_names=dict(rules), d_points=d_points, f_points=f_points,
        slopes={(r["sweep"], r["source"], r["rule"], r["p"]): r for r in slope_rows},
        d_theory=_d_theory(d_points, rules) if d_points else {},
        f_theory=_f_theory(f_points, rules) if f_points else {},
        ratio_reference=theory.GAUSSIAN_DISTANCE_FACTOR, bulyan=bulyan,
        bulyan_summary=bulyan_claims.bulyan_summary(bulyan),
        bulyan_extremes=bulyan_claims.bulyan_extremes(bulyan, results.get("bulyan_range", [])))
