"""The leeway study's summaries: fitted slopes beside theory, closed forms, and the paper's claims.

Thresholds (one place; `slope_bounds`):
- SLOPE_P2 = (0.45, 0.55): "gamma_m = O(delta_bar d^(1/p))" (section 3.2, B.2, B.3) read as the fitted
  slope of log gamma_m in log d being 1/2 +- 0.05 for p = 2.
- SLOPE_PINF = 0.15: for p = inf "the curse of dimensionality ... no longer exists" (section 3.3):
  slope in d < 0.15.
- F_TOLERANCE = 0.1: Krum's and GeoMed's "added dependence in q-th root of f" (section 3.2, B.3): slope
  in f within 1/q +- 0.1 (q = 2 for Krum, 1 for GeoMed).
- FLAT_F = 0.1: Brute has no f in its gamma_m (B.2): |slope in f| <= 0.1.
- Bulyan (section 4, `bulyan_claims`): its median sentence, its proof step, and Proposition 2's slope.
Slopes are least-squares fits of log gamma_m over every draw, on the whole sweep (d from 10 up, f from 1)
and on its upper half (`upper_half`: the points at or above the sweep's geometric middle; appendix B.1
assumes d >> 1).
"""

import collections
import math

import numpy as np

from experiments.leeway import bulyan_claims, theory

SLOPE_P2 = (0.45, 0.55)
SLOPE_PINF = 0.15
F_TOLERANCE = 0.1
FLAT_F = 0.1
RULE_NAMES = {"brute": "Brute", "krum": "Krum", "geomed": "GeoMed"}
Q = {"krum": 2, "geomed": 1}  # the root of f in B.3's gamma_m
NO_FIT = "no fit"


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


def geometric_middle(xs):
    """sqrt(smallest x * largest x): the middle of the sweep in log scale."""
    return math.sqrt(min(xs) * max(xs))


def upper_half(members, key):
    """The points whose `key` (d or f) is at least the sweep's geometric middle: appendix B.1's d >> 1
    (for d from 10 to 10^6, d >= 3,162.3: d from 10^4)."""
    middle = geometric_middle([m[key] for m in members])
    return [m for m in members if m[key] >= middle]


def slope_bounds(sweep, rule, p):
    """(low, high) of the fitted slope for the paper's claim on (sweep, rule, p); None where none is made."""
    if sweep == "d":
        return SLOPE_P2 if p == "2" else (-math.inf, SLOPE_PINF)
    if rule == "brute":
        return (-FLAT_F, FLAT_F)
    if p == "2":
        return (1 / Q[rule] - F_TOLERANCE, 1 / Q[rule] + F_TOLERANCE)
    return None


def verdict_for(value, bounds):
    """"holds" / "does not hold" for a slope against `bounds`; "no fit" for a NaN slope (fewer than 3
    points or a single x); "" without bounds."""
    if bounds is None:
        return ""
    if math.isnan(value):
        return NO_FIT
    return _verdict(bounds[0] <= value <= bounds[1])


def verdict_all(values, bounds):
    """One verdict for several slopes against the same `bounds`: "no fit" if any is NaN."""
    verdicts = [verdict_for(value, bounds) for value in values]
    for word in (NO_FIT, _verdict(False)):
        if word in verdicts:
            return word
    return _verdict(True)


def _at_largest(members, key, value):
    """The median of `value` over the draws at the largest `key` of the sweep."""
    top = max(m[key] for m in members)
    return float(np.median([value(m) for m in members if m[key] == top]))


def slopes(points):
    """One row per (sweep, source, rule, p): the fitted slope on the whole sweep and on its upper half,
    each with the claim's verdict (`slope_bounds`), theory's exponent, the closed form's own slope over
    the same points, and the ratios measured / paper (median over the sweep, and over the draws at its
    largest d or f) and measured / model (median over the sweep)."""
    rows = []
    for (sweep, source, rule, p), members in groups(points).items():
        members = [with_predictions(m) for m in members]
        x = [m[sweep] for m in members]
        measured, se = theory.slope(x, [m["gamma_m"] for m in members])
        upper = upper_half(members, sweep)
        upper_slope = theory.slope([m[sweep] for m in upper], [m["gamma_m"] for m in upper])
        bounds = slope_bounds(sweep, rule, p)
        # the closed form at each point with one delta_bar: its own slope over this range
        reference = np.median([m["delta_bar"] for m in members])
        closed = [theory.paper(rule, p, m["d"], m["f"], reference) for m in members]
        exponent = theory.EXPONENT_D[p] if sweep == "d" else theory.EXPONENT_F[rule]
        rows.append({"sweep": sweep, "source": source, "rule": rule, "p": p, "slope": measured, "se": se,
                     "upper_slope": upper_slope, "verdict": verdict_for(measured, bounds),
                     "upper_verdict": verdict_for(upper_slope[0], bounds), "bounds": bounds,
                     "theory": exponent, "closed_form_slope": theory.slope(x, closed)[0],
                     "paper_ratio": float(np.median([m["gamma_m"] / m["paper"] for m in members])),
                     "paper_ratio_top": _at_largest(members, sweep, lambda m: m["gamma_m"] / m["paper"]),
                     "model_ratio": float(np.nanmedian([m["gamma_m"] / m["model"] for m in members])),
                     "range": (min(x), max(x)), "middle": geometric_middle(x),
                     "upper_range": (min(m[sweep] for m in upper), max(x)), "count": len(members),
                     "upper_count": len(upper), "fixed": members[0]["f" if sweep == "d" else "d"],
                     "closed_form": sum(m["how"] == "closed form" for m in members)})
    return rows


def _find(rows, sweep, source, rule, p):
    for row in rows:
        if (row["sweep"], row["source"], row["rule"], row["p"]) == (sweep, source, rule, p):
            return row
    return None


def _sources(rows, sweep):
    return list(dict.fromkeys(row["source"] for row in rows if row["sweep"] == sweep))


def _fmt(row, upper=False):
    slope, se = row["upper_slope"] if upper else (row["slope"], row["se"])
    return f"{RULE_NAMES[row['rule']]} {slope:.3f} ± {se:.3f}"


def _bounds_text(bounds):
    return f"below {bounds[1]:g}" if bounds[0] == -math.inf else f"within {bounds[0]:g}..{bounds[1]:g}"


def _span(rows, sweep, upper=False):
    """'whole range, d 10 to 1e+06' or 'upper half, d >> 1: d >= sqrt(10 × 1e+06) = 3162.3, i.e. d 10000
    to 1e+06' for the rows of one claim (one range for all)."""
    if not upper:
        return f"whole range, {sweep} {_range(rows)}"
    row = rows[0]
    return (f"upper half, {sweep} >> 1: {sweep} >= sqrt({row['range'][0]:g} × {row['range'][1]:g}) = "
            f"{row['middle']:.1f}, i.e. {sweep} {row['upper_range'][0]:g} to {row['upper_range'][1]:g}")


D_SENTENCES = {"2": ("3.2, B.2, B.3", "γm = O(δ̄ p√d) for Brute, and γm = O(δ̄ q√f p√d) for Krum/GeoMed"),
               "inf": ("3.3", "the curse of dimensionality exploited in the attack of Section 3.2 no longer "
                              "exists with p large enough, or infinite")}


def _d_claim(rows, source, p, upper):
    """The claim on gamma_m's growth in d for one source and p, on the whole sweep or its upper half."""
    found = [r for r in (_find(rows, "d", source, rule, p) for rule in RULE_NAMES) if r]
    bounds = slope_bounds("d", None, p)
    attack = "p = 2 (`lp`)" if p == "2" else "p = ∞ (`linf`, norm=inf rules)"
    slopes_ = [(r["upper_slope"][0] if upper else r["slope"]) for r in found]
    section, sentence = D_SENTENCES[p]
    return (section, sentence,
            f"{attack}, {source}, {_span(found, 'd', upper)}: slope of log γm in log d {_bounds_text(bounds)}",
            "; ".join(_fmt(r, upper) for r in found), verdict_all(slopes_, bounds))


def _f_claim(row):
    """Krum's or GeoMed's exponent in f (section 3.2, B.3: f^(1/q)), p = 2, on the whole f sweep."""
    q = Q[row["rule"]]
    low, high = slope_bounds("f", row["rule"], "2")
    measured = (f"{_fmt(row)}; upper half (f >= {row['middle']:.3g}): {_fmt(row, upper=True).split(' ', 1)[1]}; "
                f"appendix B's closed form over the same f: {row['closed_form_slope']:.3f}")
    return ("3.2, B.3", "γm = O(δ̄ q√f p√d) for Krum/GeoMed. The added dependence in q√f for Krum/GeoMed comes "
                        "from the shape of the score function",
            f"{RULE_NAMES[row['rule']]} (q = {q}), p = 2, {row['source']}: slope of log γm in log f within "
            f"1/{q} ± {F_TOLERANCE:g} = {low:g}..{high:g} (the same tolerance for Krum and GeoMed), "
            f"{_span([row], 'f')}, d = {row['fixed']:,}", measured, verdict_for(row["slope"], (low, high)))


def _brute_f_claim(found):
    """Brute has no f in its gamma_m (B.2): flat in f for p = 2 and p = inf."""
    return ("B.2", "αm = O(δ̄ p√d) (Brute: no f)",
            f"Brute, {found[0]['source']}: |slope in f| <= {FLAT_F} for p = 2 and p = ∞, {_span(found, 'f')}",
            "; ".join(f"p = {'∞' if r['p'] == 'inf' else r['p']}: {r['slope']:.3f} ± {r['se']:.3f}" for r in found),
            verdict_all([r["slope"] for r in found], (-FLAT_F, FLAT_F)))


def claims(rows, bulyan, bulyan_range=()):
    """[(section, sentence, check, measured, verdict)]: the d claims on the whole sweep and its upper half,
    the f claims, and Bulyan's (per source where measured)."""
    out = []
    for p in ("2", "inf"):
        for source in _sources(rows, "d"):
            out += [_d_claim(rows, source, p, upper=False), _d_claim(rows, source, p, upper=True)]
    for rule in Q:
        out += [_f_claim(row) for row in (_find(rows, "f", s, rule, "2") for s in _sources(rows, "f")) if row]
    for source in _sources(rows, "f"):
        found = [r for r in (_find(rows, "f", source, "brute", p) for p in ("2", "inf")) if r]
        if found:
            out.append(_brute_f_claim(found))
    if bulyan:
        out += bulyan_claims.claims(bulyan, bulyan_range)
    return out


def _range(rows):
    low = min(r["range"][0] for r in rows)
    high = max(r["range"][1] for r in rows)
    return f"{low:g} to {high:g}"


def _verdict(holds):
    return "holds" if holds else "does not hold"


def claims_markdown(claim_rows, description):
    lines = ["# Leeway study (appendix B): the paper's claims against our measurements", "", description, "",
             "| section | the paper says | our check | measured | verdict |", "|---|---|---|---|---|"]
    lines += [f"| {' | '.join(_cell(text) for text in row)} |" for row in claim_rows]
    return "\n".join(lines) + "\n"


def _cell(text):
    """A markdown table cell: its own "|" (absolute values, |slope|) escaped."""
    return text.replace("|", "\\|")


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


def _tolerance_text(bounds):
    return "—" if bounds is None else _bounds_text(bounds)


def slopes_markdown(rows, factors, agreement_lines, description, timing, exact=False, bulyan_lines=()):
    lines = ["# Leeway study (appendix B): fitted slopes against theory", "", description, "",
             "Slope: least-squares fit of log γm over every draw (± its standard error), on the whole range and on "
             "its upper half: the points at or above the geometric middle of the range, sqrt(smallest × largest) "
             "(appendix B.1 assumes d >> 1; the \"upper half\" column gives each row's points: for d from 10 to "
             "10^6, d >= 3,162.3, i.e. from 10^4, as 10^3.5 is rounded to 3,162 on the grid). Verdicts: the claim's "
             "bounds on that slope "
             "(leeway_claims.md; none for Krum and GeoMed in f at p = ∞). Theory: the exponent of "
             "appendix B (d^(1/p), f^(1/q); 0 for p = ∞ and for Brute in f). Closed form: the slope of the "
             "paper's own expression over the same points (it is not a pure power of f). Ratios: measured / paper "
             "(appendix B's closed form with b = 0 and δ̄ measured on the same draw), as the median over every "
             "draw of the range and as the median over the draws at its largest d or f (two different "
             "statistics), and measured / model (the same arguments with the measured distances, see "
             "experiments/leeway/theory.py; median over the range).", "",
             "| sweep | source | rule | p | range | slope | verdict | upper half | slope | verdict | bounds | theory | "
             "closed form | measured/paper, median over the range | measured/paper, median at the largest d or f | "
             "measured/model |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        note = f" ({r['closed_form']} by Brute's closed form)" if r["closed_form"] else ""
        lines.append(f"| {r['sweep']} | {r['source']} | {RULE_NAMES[r['rule']]} | {'∞' if r['p'] == 'inf' else 2} | "
                     f"{r['range'][0]:g} to {r['range'][1]:g}{note} | {r['slope']:.3f} ± {r['se']:.3f} | "
                     f"{r['verdict'] or '—'} | {r['upper_range'][0]:g} to {r['upper_range'][1]:g} | "
                     f"{r['upper_slope'][0]:.3f} ± {r['upper_slope'][1]:.3f} | {r['upper_verdict'] or '—'} | "
                     f"{_tolerance_text(r['bounds'])} | {r['theory']:g} | "
                     f"{round(r['closed_form_slope'], 3) + 0.0:.3f} | {r['paper_ratio']:.2f} | "
                     f"{r['paper_ratio_top']:.3f} | {r['model_ratio']:.2f} |")
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
    if bulyan_lines:
        lines += [""] + list(bulyan_lines)
    return "\n".join(lines) + "\n"
