"""Bulyan's claims (paper, section 4) against the leeway study's Bulyan(Krum) measurements (`study`).

Three rows, each measuring what its sentence states:
- the median sentence: "the median of the theta coordinates i of the selected gradients is always
  bounded by coordinates from non-Byzantine submissions": at each gamma of the grid, honest picks on
  both sides of the median of the theta picked values of coordinate 0 (`stage.median_bounded`);
- the step of Proposition 2's proof: "on each side of median[i] ... there are at least f workers who
  are farther from median[i] than is any B[i]. Therefore, there are at least two different honest
  workers ... g_l[i] <= B[i] <= g_r[i]": at each gamma, f left-out picks on each side of the kept
  window (`stage.f_on_each_side`) and honest picks on both sides of every kept value
  (`stage.kept_between_honest`); with the consequence at the output (the honest values' range);
- Proposition 2, E|Bu[i] - g_k[i]| = O(sigma / sqrt(d)): the log-log slope in d of the largest, over
  the gamma grid, of mean_k |Bu[0] - g_k[0]| / sigma, with sigma = sqrt(d) sigma_k the gradients'
  vector-wise standard deviation (E||g_k - E g||^2 = d sigma_k^2); expected -1/2.
"""

import math

import numpy as np

from experiments.leeway import stage, theory

PROPOSITION2 = (-0.55, -0.45)  # -1/2 +- 0.05, the tolerance of the p = 2 slopes in d


def bulyan_summary(bulyan):
    """Per (d, draw): the largest displacement (grid and search) and the honest range on coordinate 0."""
    rows = []
    for entry in bulyan:
        values = np.asarray(entry["bulyan"], float)
        best = max(float(values.max()), entry["search_displacement"])
        lowest = min(float(values.min()), entry["search_displacement"])
        rows.append({"d": entry["d"], "draw": entry["draw"], "max": best, "min": lowest,
                     "grid_max": float(values.max()), "search": entry["search_displacement"],
                     "high": entry["honest_high"], "low": entry["honest_low"],
                     "krum_gamma_m": entry["krum_gamma_m"]})
    return rows


def bulyan_extremes(bulyan, bulyan_range):
    """Per draw (curve draws: grid and search; range draws: grid): (largest, smallest displacement,
    honest low, honest high) of coordinate 0."""
    rows = [(r["max"], r["min"], r["low"], r["high"]) for r in bulyan_summary(bulyan)]
    rows += [(r["max"], r["min"], r["honest_low"], r["honest_high"]) for r in bulyan_range]
    return rows


def stage_cases(entries):
    """[(draw index, stage at one gamma)] over every entry (curve or range draw) and gamma of its grid."""
    cases = []
    for k, entry in enumerate(entries):
        fields = entry["stage"]
        cases += [(k, {key: values[j] for key, values in fields.items()}) for j in range(len(fields["median"]))]
    return cases


def _d_span(entries):
    ds = sorted({e["d"] for e in entries})
    return f"d {ds[0]:g} to {ds[-1]:g}"


def _failures(cases, test):
    """(failing cases, distinct draws among them) of `test` over `cases`."""
    failing = [(k, case) for k, case in cases if not test(case)]
    return failing, len({k for k, _ in failing})


def median_claim(entries, f, n):
    """Section 4's sentence on the median, measured at every gamma of every draw's grid."""
    cases = stage_cases(entries)
    failing, draws = _failures(cases, stage.median_bounded)
    honest_median = sum(case["median_honest"] for _, case in cases)
    measured = (f"the median lies outside the honest picks' range in {len(failing)} of {len(cases)} (draw, γ) "
                f"cases ({draws} of {len(entries)} draws, {_d_span(entries)}); an honest pick holds it in "
                f"{honest_median} of them, a copy of B in {len(cases) - honest_median}")
    return ("4", "Since θ = n − 2f ≥ 2f + 3, this selection S = (S1 . . . Sθ) contains a majority of non–Byzantine "
                 "gradients. Hence for each i ∈ [1 .. d], the median of the θ coordinates i of the selected gradients "
                 "is always bounded by coordinates from non–Byzantine submissions",
            f"Bulyan(Krum), n = {n}, f = {f}, `lp`, coordinate 0: the median of the θ = {n - 2 * f} picked values "
            "lies between the smallest and the largest honest picked value there (so between honest submissions), "
            "at every γ of the grid, every d and draw", measured, _verdict(not failing))


def output_range(bulyan, bulyan_range):
    """The output against the honest values' range on coordinate 0, per draw (grid, and the attack's search
    for the curve draws): (draws outside, draws, largest excess over the width, all within the range
    widened by its width on each side)."""
    rows = bulyan_extremes(bulyan, bulyan_range)
    outside = [r for r in rows if r[0] > r[3] or r[1] < r[2]]
    excess = max(max(top - high, low - bottom) / (high - low) for top, bottom, low, high in rows)
    widened = all(2 * low - high <= bottom and top <= 2 * high - low for top, bottom, low, high in rows)
    return len(outside), len(rows), excess, widened


def proof_step_claim(bulyan, bulyan_range, f):
    """The step of Proposition 2's proof, at every gamma: its premise (f left-out picks on each side of
    the kept values) and its conclusion (honest picks on both sides of every kept value)."""
    entries = list(bulyan) + list(bulyan_range)
    cases = stage_cases(entries)
    premise, premise_draws = _failures(cases, lambda case: stage.f_on_each_side(case, f))
    conclusion, conclusion_draws = _failures(cases, stage.kept_between_honest)
    fewest = min(min(case["below"], case["above"]) for _, case in cases)
    outside, draws, excess, widened = output_range(bulyan, bulyan_range)
    measured = (f"fewer than f = {f} left-out picks on a side in {len(premise)} of {len(cases)} (draw, γ) cases "
                f"({premise_draws} of {len(entries)} draws; as few as {fewest}); a kept value beyond every honest "
                f"pick in {len(conclusion)} of {len(cases)} cases ({conclusion_draws} of {len(entries)} draws). "
                f"At the output (grid, and the attack's search): {outside} of {draws} draws leave the honest "
                f"values' range, the largest excess {excess:+.0%} of its width (negative: inside); all within "
                f"the range widened by its width on each side: {'yes' if widened else 'no'}")
    return ("4, proof of Prop. 2", "all the set M[i] is closer to median[i] than at least 2 f other propositions, in "
                                   "particular, on each side of median[i] (we are in a single dimension) there are "
                                   "at least f workers who are farther from median[i] than is any B[i]. Therefore, "
                                   "there are at least two different honest workers, call them l and r whose i-th "
                                   "coordinates are respectively on the left and on the right of the B[i], for every "
                                   "B in M[i], i.e, gl[i] ≤ B[i] ≤ gr[i]",
            f"Bulyan(Krum), coordinate 0, every γ of the grid, every d and draw: at least f of the θ − β = 2f "
            "left-out picks below the β kept values and f above (lenient reading of \"farther\": a left-out pick is "
            "never nearer the median than a kept one), and an honest pick at or below the lowest kept value and one "
            "at or above the highest", measured, _verdict(not premise and not conclusion))


def deviation(entry, key):
    """Proposition 2's E|Bu[i] - g_k[i]| on one draw, over the vector-wise sigma: the largest, over the gamma
    grid, of mean_k |output[0] - g_k[0]| / (sigma_k sqrt(d)); `key` "bulyan" or "krum" (their outputs)."""
    outputs = np.asarray(entry[key], float)
    honest = np.asarray(entry["honest_values"], float)
    gaps = np.abs(outputs[:, None] - honest[None, :]).mean(axis=1)
    return float(gaps.max()) / (entry["sigma"] * math.sqrt(entry["d"]))


def deviation_slopes(bulyan):
    """{rule: (slope, standard error)} of log deviation in log d, every curve draw one point."""
    ds = [e["d"] for e in bulyan]
    return {key: theory.slope(ds, [deviation(e, key) for e in bulyan]) for key in ("bulyan", "krum")}


def _per_coordinate(bulyan, key):
    """The deviations in sigma_k units (times sqrt(d)): (smallest, largest) over the draws."""
    values = [deviation(e, key) * math.sqrt(e["d"]) for e in bulyan]
    return min(values), max(values)


def proposition2_claim(bulyan):
    """Proposition 2's O(sigma / sqrt(d)), fitted against d."""
    fits = deviation_slopes(bulyan)
    slope, se = fits["bulyan"]
    low, high = PROPOSITION2
    draws = len(bulyan) // len({e["d"] for e in bulyan})
    bulyan_units, krum_units = _per_coordinate(bulyan, "bulyan"), _per_coordinate(bulyan, "krum")
    measured = (f"Bulyan(Krum) {slope:.3f} ± {se:.3f}; Krum on the same gradients and grid {fits['krum'][0]:.3f} ± "
                f"{fits['krum'][1]:.3f}. In σ_k: Bulyan's mean_k |Bu[0] − g_k[0]| is {bulyan_units[0]:.2f} to "
                f"{bulyan_units[1]:.2f}, Krum's {krum_units[0]:.1f} to {krum_units[1]:.0f}")
    return ("4, Prop. 2", "for any dimension i ∈ [1, d] and any honest worker k proposing gradient gk, we have "
                          "E|But[i] − gk[i]| = O(σ/√d)",
            f"Bulyan(Krum), n = {bulyan[0]['n']}, f = {bulyan[0]['f']}, `lp`, coordinate 0: slope in log d of the "
            "largest over the γ grid of mean_k |Bu[0] − g_k[0]| / σ, with σ = √d σ_k the gradients' vector-wise "
            f"standard deviation (σ_k = 1: E‖g_k − E g‖² = d σ_k²), {_d_span(bulyan)}, {draws} draws each: "
            f"within {low:g}..{high:g} (−1/2 ± 0.05, the tolerance of the p = 2 slopes in d)",
            measured, "no fit" if math.isnan(slope) else _verdict(low <= slope <= high))


def check_measured(entries, field):
    """ValueError when an entry lacks `field` ("stage", "honest_values"): results saved by an older study."""
    if not all(field in e for e in entries):
        raise ValueError(f"the saved Bulyan results lack {field!r}: run the preset again without --plot_only")


def claims(bulyan, bulyan_range=()):
    """The three section-4 rows: the median sentence, the proof step, Proposition 2's slope."""
    f, n = bulyan[0]["f"], bulyan[0]["n"]
    entries = list(bulyan) + list(bulyan_range)
    check_measured(entries, "stage")
    check_measured(bulyan, "honest_values")
    return [median_claim(entries, f, n), proof_step_claim(bulyan, bulyan_range, f), proposition2_claim(bulyan)]


def proposition2_lines(bulyan):
    """The per-d medians of Proposition 2's quantity (slopes.md): Bulyan's and Krum's, in sigma_k."""
    if not bulyan:
        return []
    check_measured(bulyan, "honest_values")
    lines = ["Proposition 2 (section 4), E|Bu[i] − g_k[i]| = O(σ/√d): the largest over the γ grid of mean_k "
             "|output[0] − g_k[0]|, median over the draws at each d, in σ_k and over σ = √d σ_k (the gradients' "
             "vector-wise standard deviation):", "",
             "| d | draws | Bulyan(Krum), in σ_k | Krum, in σ_k | Bulyan(Krum) / σ | Krum / σ |",
             "|---|---|---|---|---|---|"]
    for d in sorted({e["d"] for e in bulyan}):
        at = [e for e in bulyan if e["d"] == d]
        bulyan_value = np.median([deviation(e, "bulyan") for e in at])
        krum_value = np.median([deviation(e, "krum") for e in at])
        root = math.sqrt(d)
        lines.append(f"| {d:g} | {len(at)} | {bulyan_value * root:.2f} | {krum_value * root:.1f} | "
                     f"{bulyan_value:.2e} | {krum_value:.2e} |")
    fits = deviation_slopes(bulyan)
    names = (("bulyan", "Bulyan(Krum)"), ("krum", "Krum"))
    lines += ["", "- slopes in log d of the quantity over σ: " + ", ".join(
        f"{name} {fits[key][0]:.3f} ± {fits[key][1]:.3f}" for key, name in names)]
    return lines


def _verdict(holds):
    return "holds" if holds else "does not hold"
