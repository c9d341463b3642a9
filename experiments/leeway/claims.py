"""The leeway study's summaries: fitted slopes beside theory, closed forms, and the paper's claims.

Thresholds (one place):
- SLOPE_P2 = (0.45, 0.55): "gamma_m = O(delta_bar d^(1/p))" read as the fitted slope of log gamma_m
  in log d being 1/2 +- 0.05 for p = 2.
- SLOPE_PINF = 0.15: for p = inf "the curse of dimensionality ... no longer exists": slope in d < 0.15.
- KRUM_F = (0.4, 0.6): Krum's "added dependence in q-th root of f", q = 2: slope in f 1/2 +- 0.1.
- FLAT_F = 0.1: Brute has no f in its gamma_m: |slope in f| <= 0.1.
- Bulyan: coordinate 0 of its output stays within [min_i, max_i] of the honest values there, for
  every gamma on the grid and the attack's own search, every d and draw (any draw outside: does not hold).
Slopes are least-squares fits of log gamma_m over every draw of the whole sweep (d from 10 up, f from 1).
"""

import collections
import math

import numpy as np

from experiments.leeway import theory

SLOPE_P2 = (0.45, 0.55)
SLOPE_PINF = 0.15
KRUM_F = (0.4, 0.6)
FLAT_F = 0.1
RULE_NAMES = {"brute": "Brute", "krum": "Krum", "geomed": "GeoMed"}


def groups(points):
    """{(sweep, source, rule, p): [points]} in a stable order."""
    out = collections.OrderedDict()
    for point in points:
        out.setdefault((point["sweep"], point["source"], point["rule"], point["p"]), []).append(point)
    return out


def with_predictions(point):
    """The point with "paper" and "model" gamma_m (appendix B's closed form, the measured-distance model)."""
    return {**point, "paper": theory.paper(point["rule"], point["p"], point["d"], point["f"],
                                                  point["delta_bar"]),
            "model": theory.model(point["rule"], point["p"], point["f"], point)}


def slopes(points):
    """One row per (sweep, source, rule, p): the fitted slope, theory's exponent, the closed form's own
    slope over the same points, and the median ratios measured / paper and measured / model."""
    rows = []
    for (sweep, source, rule, p), members in groups(points).items():
        members = [with_predictions(m) for m in members]
        x = [m[sweep] for m in members]
        measured, se = theory.slope(x, [m["gamma_m"] for m in members])
        upper = [m for m in members if math.log(m[sweep]) >= (math.log(min(x)) + math.log(max(x))) / 2]
        # the closed form at each point with one delta_bar: its own slope over this range
        reference = np.median([m["delta_bar"] for m in members])
        closed = [theory.paper(rule, p, m["d"], m["f"], reference) for m in members]
        exponent = theory.EXPONENT_D[p] if sweep == "d" else theory.EXPONENT_F[rule]
        rows.append({"sweep": sweep, "source": source, "rule": rule, "p": p, "slope": measured, "se": se,
                     "upper_slope": theory.slope([m[sweep] for m in upper], [m["gamma_m"] for m in upper]),
                     "theory": exponent, "closed_form_slope": theory.slope(x, closed)[0],
                     "paper_ratio": float(np.median([m["gamma_m"] / m["paper"] for m in members])),
                     "model_ratio": float(np.nanmedian([m["gamma_m"] / m["model"] for m in members])),
                     "range": (min(x), max(x)), "count": len(members),
                     "fixed": members[0]["f" if sweep == "d" else "d"],
                     "closed_form": sum(m["how"] == "closed form" for m in members)})
    return rows


def _find(rows, sweep, source, rule, p):
    for row in rows:
        if (row["sweep"], row["source"], row["rule"], row["p"]) == (sweep, source, rule, p):
            return row
    return None


def _sources(rows, sweep):
    return list(dict.fromkeys(row["source"] for row in rows if row["sweep"] == sweep))


def _fmt(row):
    return f"{RULE_NAMES[row['rule']]} {row['slope']:.3f} ± {row['se']:.3f}"


def claims(rows, bulyan, bulyan_range=()):
    """[(section, sentence, check, measured, verdict)] for the five claims (per source where measured)."""
    out = []
    for source in _sources(rows, "d"):
        found = [_find(rows, "d", source, rule, "2") for rule in RULE_NAMES]
        found = [r for r in found if r]
        out.append(("3.2, B.2, B.3", "γm = O(δ̄ p√d) for Brute, and γm = O(δ̄ q√f p√d) for Krum/GeoMed",
                    f"p = 2 (`lp`), {source}: slope of log γm in log d within {SLOPE_P2[0]}..{SLOPE_P2[1]} "
                    f"(d {_range(found)})", "; ".join(map(_fmt, found)),
                    _verdict(all(SLOPE_P2[0] <= r["slope"] <= SLOPE_P2[1] for r in found))))
    for source in _sources(rows, "d"):
        found = [r for r in (_find(rows, "d", source, rule, "inf") for rule in RULE_NAMES) if r]
        out.append(("3.3", "the curse of dimensionality exploited in the attack of Section 3.2 no longer "
                           "exists with p large enough, or infinite",
                    f"p = ∞ (`linf`, norm=inf rules), {source}: slope in d below {SLOPE_PINF} (d {_range(found)})",
                    "; ".join(map(_fmt, found)), _verdict(all(r["slope"] < SLOPE_PINF for r in found))))
    for source in _sources(rows, "f"):
        row = _find(rows, "f", source, "krum", "2")
        if row:
            out.append(("3.2, B.3", "The added dependence in q√f for Krum/GeoMed comes from the shape of the "
                                    "score function",
                        f"Krum, p = 2, {source}: slope of log γm in log f within {KRUM_F[0]}..{KRUM_F[1]} "
                        f"(f {_range([row])}, d = {row['fixed']:,})", _fmt(row),
                        _verdict(KRUM_F[0] <= row["slope"] <= KRUM_F[1])))
    for source in _sources(rows, "f"):
        found = [r for r in (_find(rows, "f", source, "brute", p) for p in ("2", "inf")) if r]
        if found:
            out.append(("B.2", "αm = O(δ̄ p√d) (Brute: no f)",
                        f"Brute, {source}: |slope in f| <= {FLAT_F} for p = 2 and p = ∞ (f {_range(found)})",
                        "; ".join(f"p = {'∞' if r['p'] == 'inf' else r['p']}: {r['slope']:.3f} ± {r['se']:.3f}"
                                  for r in found),
                        _verdict(all(abs(r["slope"]) <= FLAT_F for r in found))))
    if bulyan:
        out.append(_bulyan_claim(bulyan, bulyan_range))
    return out


def _range(rows):
    low = min(r["range"][0] for r in rows)
    high = max(r["range"][1] for r in rows)
    return f"{low:g} to {high:g}"


def _verdict(holds):
    return "holds" if holds else "does not hold"


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


def _bulyan_claim(bulyan, bulyan_range=()):
    rows = bulyan_extremes(bulyan, bulyan_range)
    outside = [r for r in rows if r[0] > r[3] or r[1] < r[2]]
    excess = max(max(top - high, low - bottom) / (high - low) for top, bottom, low, high in rows)
    widened = all(2 * low - high <= bottom and top <= 2 * high - low for top, bottom, low, high in rows)
    krum = [r["krum_gamma_m"] for r in bulyan_summary(bulyan)]
    ds = sorted({e["d"] for e in bulyan} | {e["d"] for e in bulyan_range})
    measured = (f"{len(outside)} of {len(rows)} draws (d {ds[0]:g} to {ds[-1]:g}) leave the honest range; the largest "
                f"excess is {excess:+.0%} of the range's width (negative: inside); all stay within the range "
                f"widened by its width on each side: {'yes' if widened else 'no'}. Largest displacement "
                f"{max(r[0] for r in rows):.2f} σ against Krum's γm of {min(krum):.1f} to {max(krum):.0f} σ "
                "on the same gradients")
    return ("4", "the median of the θ coordinates i of the selected gradients is always bounded by coordinates "
                 "from non–Byzantine submissions",
            f"Bulyan(Krum), n = {bulyan[0]['n']}, f = {bulyan[0]['f']}, `lp`: coordinate 0 of the output stays within "
            "the honest values' range there, for every γ on the grid (and the attack's own search), every d and draw",
            measured, _verdict(not outside))


def claims_markdown(claim_rows, description):
    lines = ["# Leeway study (appendix B): the paper's claims against our measurements", "", description, "",
             "| section | the paper says | our check | measured | verdict |", "|---|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in claim_rows]
    return "\n".join(lines) + "\n"


def agreement(points):
    """Lines on the search's precision: Brute's search against its closed form, and (--exact) the
    16-probe float32 search against the 64-probe float64 one."""
    lines = []
    brute = [p for p in points if p["rule"] == "brute" and p["how"] == "search" and p.get("closed_form")]
    if brute:
        gaps = [abs(p["gamma_m"] - p["closed_form"]) / p["closed_form"] for p in brute]
        below = sum(p["gamma_m"] <= p["closed_form"] * (1 + 1e-6) for p in brute)
        lines.append(f"Brute: the attack's 16-probe search against the closed form, {len(brute)} points: relative "
                     f"gap median {np.median(gaps):.1e}, largest {max(gaps):.1e}; search <= closed form at "
                     f"{below}/{len(brute)}")
    exact = [p for p in points if p.get("exact")]
    if exact:
        gaps = [abs(p["gamma_m"] - p["exact"]) / p["exact"] for p in exact]
        lines.append(f"--exact: the 16-probe float32 search against a 64-probe float64 bisection, {len(exact)} "
                     f"points: relative gap median {np.median(gaps):.1e}, largest {max(gaps):.1e}")
    return lines


def distance_factors(points):
    """Rows: at the largest d of each (source, p), the measured distances over appendix B's forms."""
    rows = []
    for (sweep, source, rule, p), members in groups(points).items():
        if sweep != "d" or rule != "krum":
            continue
        top = max(m["d"] for m in members)
        at = [m for m in members if m["d"] == top]
        scale = [m["d"] ** (0.5 if p == "2" else 0.0) * m["delta_bar"] for m in at]
        rows.append({"source": source, "p": p, "d": top,
                     "pair": float(np.mean([m["pair_mean"] / s for m, s in zip(at, scale)])),
                     "to_mean": float(np.mean([m["to_mean"] / (s / math.sqrt(2)) for m, s in zip(at, scale)])),
                     "sigma_ratio": float(np.mean([m["sigma_rms"] / m["sigma_mean"] for m in at]))
                     if "sigma_rms" in at[0] else math.nan})
    return rows


def slopes_markdown(rows, factors, agreement_lines, description, timing, exact=False):
    lines = ["# Leeway study (appendix B): fitted slopes against theory", "", description, "",
             "Slope: least-squares fit of log γm over every draw (± its standard error); upper half: the same fit "
             "over the upper half of the range in log scale (d >= sqrt(10 × largest d), f >= 4). Theory: the exponent of "
             "appendix B (d^(1/p), f^(1/q); 0 for p = ∞ and for Brute in f). Closed form: the slope of the "
             "paper's own expression over the same points (it is not a pure power of f). Ratios: medians of "
             "measured / paper (appendix B's closed form with b = 0 and δ̄ measured on the same draw) and "
             "measured / model (the same arguments with the measured distances, see theory.py).", "",
             "| sweep | source | rule | p | range | slope | upper half | theory | closed form | measured/paper | "
             "measured/model |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        note = f" ({r['closed_form']} by Brute's closed form)" if r["closed_form"] else ""
        lines.append(f"| {r['sweep']} | {r['source']} | {RULE_NAMES[r['rule']]} | {'∞' if r['p'] == 'inf' else 2} | "
                     f"{r['range'][0]:g} to {r['range'][1]:g}{note} | {r['slope']:.3f} ± {r['se']:.3f} | "
                     f"{r['upper_slope'][0]:.3f} ± {r['upper_slope'][1]:.3f} | "
                     f"{r['theory']:g} | {round(r['closed_form_slope'], 3) + 0.0:.3f} | {r['paper_ratio']:.2f} | "
                     f"{r['model_ratio']:.2f} |")
    lines += ["", "Appendix B's distance approximations against the measured distances, at the largest d "
              "(Gaussian, p = 2: sqrt(π/2) = 1.25 for both; × sqrt(mean σ_k²) / mean σ_k with unequal σ_k):", "",
              "| source | p | d | mean ‖V_i − V_j‖ / (d^(1/p) δ̄) | mean ‖V_i − mean‖ / (d^(1/p) δ̄ / √2) | "
              "rms σ_k / mean σ_k |", "|---|---|---|---|---|---|"]
    for r in factors:
        lines.append(f"| {r['source']} | {'∞' if r['p'] == 'inf' else 2} | {r['d']:g} | {r['pair']:.2f} | "
                     f"{r['to_mean']:.2f} | {'' if math.isnan(r['sigma_ratio']) else format(r['sigma_ratio'], '.2f')} |")
    lines += [""] + [f"- {line}" for line in agreement_lines]
    lines += [f"- time ({'with' if exact else 'without'} --exact; one process, the machine's 2 cores shared with other "
              "jobs: the CPU times are the comparable ones): " + ", ".join(f"{k} {v:.1f} s" for k, v in timing.items())]
    return "\n".join(lines) + "\n"
