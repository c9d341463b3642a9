"""The leeway study of appendix B: gamma_m against d and f, and Bulyan's displacement (section 4).

`run(preset)` measures, and returns plain data (lists of dicts) that `experiments.leeway.command` saves,
summarises and plots:
- "points": gamma_m of `lp` (p = 2) and `linf` (p = inf, the rules with norm="inf") against Brute at
  n = 2f + 1 and Krum / GeoMed at n = 2f + 3, for each gradient source, d or f, and draw; with the
  measured distances appendix B approximates, Brute's closed-form threshold, and (--exact) a float64
  search of 64 probes.
- "bulyan": Bulyan(Krum) at n = 4f + 3 under `lp`: coordinate 0's displacement on a grid of gamma,
  the honest values there, Krum's displacement and gamma_m on the same gradients, what the `lp`
  attack's own search (objective "displacement") finds, and at each gamma the coordinate-wise stage
  (`stage.stage`: the median of the picks, the kept window, the honest picks' range; section 4).
- "bulyan_range": many more draws at one d of the largest and smallest displacement over the grid,
  the honest range (how often Bulyan's output leaves it) and the stage at each gamma.
"""

import dataclasses
import time

import numpy as np

from experiments.leeway import data, measure, stage

EXACT_BUDGET = 64


def run(preset, exact=False, data_dir=None, seed=1, log=print):
    """Every measurement of `preset`: {"points": [...], "bulyan": [...], "timing": {...}}."""
    leeway = measure.Leeway()
    points, timing = [], {}
    clock = _Clock(timing)

    def rng(*key):
        return np.random.default_rng([seed, *[int(k) for k in key]])

    clock.start()
    for s, source in enumerate(preset.sources):
        for d in preset.d_values:
            for draw in range(preset.draws):
                honest, sigma = data.synthetic(source, preset.f_at_d + 3, d, rng(1, s, d, draw))
                points += _measure(leeway, honest, "d", source, preset.f_at_d, draw, preset.budget, exact, sigma)
    log(f"[leeway] synthetic d sweep: {len(points)} gamma_m in {clock.stop('synthetic d sweep')}")

    clock.start()
    count = len(points)
    for f in preset.f_values:
        for draw in range(preset.draws):
            honest, sigma = data.synthetic("iid", f + 3, preset.d_at_f, rng(2, f, draw))
            points += _measure(leeway, honest, "f", "iid", f, draw, preset.budget, exact, sigma)
    log(f"[leeway] synthetic f sweep: {len(points) - count} gamma_m in {clock.stop('synthetic f sweep')}")

    if preset.mnist_steps:
        clock.start()
        count = len(points)
        pools = data.mnist_pools(data_dir, preset.mnist_steps, preset.mnist_workers, seed)
        gradients_time = clock.stop("MNIST gradients")
        clock.start()
        for k, (state, pool) in enumerate(pools.items()):
            source = f"mnist-{state}"
            for d in preset.mnist_d_values:
                for draw in range(preset.mnist_draws):
                    honest = pool.draw(preset.f_at_d + 3, d, rng(3, k, d, draw))
                    points += _measure(leeway, honest, "d", source, preset.f_at_d, draw, preset.budget, exact)
            for f in preset.mnist_f_values:
                for draw in range(preset.mnist_draws):
                    honest = pool.draw(f + 3, pool.dimension, rng(4, k, f, draw))
                    points += _measure(leeway, honest, "f", source, f, draw, preset.budget, exact)
        log(f"[leeway] MNIST: gradients in {gradients_time}, {len(points) - count} gamma_m in "
            f"{clock.stop('MNIST sweeps')}")

    clock.start()
    column = measure.BulyanColumn(preset.bulyan_f)
    bulyan = _bulyan(leeway, column, preset, rng)
    bulyan_range = _bulyan_range(leeway, column, preset, rng)
    log(f"[leeway] Bulyan(Krum): {len(bulyan)} + {len(bulyan_range)} draws in {clock.stop('Bulyan')}")
    return {"preset": dataclasses.asdict(preset), "description": preset.describe(), "exact": exact,
            "points": points, "bulyan": bulyan, "bulyan_range": bulyan_range, "timing": timing}


class _Clock:
    """Wall and CPU time of each part of the study, into `timing` as "<part> (wall)", "<part> (CPU)"."""

    def __init__(self, timing):
        self.timing = timing

    def start(self):
        self._wall, self._cpu = time.time(), time.process_time()

    def stop(self, part):
        wall, cpu = time.time() - self._wall, time.process_time() - self._cpu
        self.timing[f"{part} (wall)"], self.timing[f"{part} (CPU)"] = wall, cpu
        return f"{wall:.1f} s wall, {cpu:.1f} s CPU"


def _measure(leeway, honest, sweep, source, f, draw, budget, exact, sigma=None):
    """One point per (rule, p) on the same honest draw: the first f + 1 rows for Brute."""
    out = []
    d = honest.shape[1]
    for p in ("2", "inf"):
        measured = {}  # h -> (statistics, distance statistics): Krum and GeoMed share their rows
        for rule in measure.RULES:
            rows = honest[: measure.workers(rule, f) - f]
            if len(rows) not in measured:
                prepared = measure.statistics(rows, p)
                measured[len(rows)] = prepared, measure.distance_statistics(rows, p, prepared[0])
            prepared, distances = measured[len(rows)]
            gamma, how = leeway.gamma_m(rule, p, f, rows, budget, prepared)
            point = {"sweep": sweep, "source": source, "rule": rule, "p": p, "d": d, "f": f,
                     "n": measure.workers(rule, f), "draw": draw, "gamma_m": gamma, "how": how,
                     **distances}
            if sigma is not None:
                point.update(sigma_mean=float(sigma.mean()), sigma_rms=float(np.sqrt(np.mean(sigma ** 2))))
            if rule == "brute":
                point["closed_form"] = measure.brute_closed_form(rows, p)
            if exact and how == "search":
                point["exact"], _ = leeway.gamma_m(rule, p, f, rows.astype(np.float64), EXACT_BUDGET)
            out.append(point)
    return out


def _bulyan_curve(leeway, column, honest, preset):
    """Krum's gamma_m, the grid (1e-2 sigma to 3 Krum's gamma_m), both rules' displacements on it, the
    honest values of coordinate 0 minus their mean (as the displacements are computed), and Bulyan's
    coordinate-wise stage at each gamma (`_stages`)."""
    krum_gamma, _ = leeway.gamma_m("krum", "2", column.f, honest, preset.budget)
    gammas = np.geomspace(1e-2, 3 * krum_gamma, preset.bulyan_grid)
    prepared = column.prepare(honest)
    bulyan_values, krum_values, picked, picked_honest = column.with_picks(prepared, gammas)
    return (krum_gamma, gammas, bulyan_values, krum_values, prepared[2].numpy().astype(np.float64),
            _stages(picked, picked_honest, column.f))


def _stages(picked, picked_honest, f):
    """{field: [one value per gamma]} of `stage.stage` on the theta picked values of coordinate 0 (section
    4: the median, the kept window, the honest picks' range)."""
    cases = [stage.stage(values, honest, f) for values, honest in zip(picked, picked_honest)]
    return {key: [case[key] for case in cases] for key in cases[0]}


def _bulyan(leeway, column, preset, rng):
    f = preset.bulyan_f
    h = 3 * f + 3
    out = []
    for d in preset.bulyan_d_values:
        for draw in range(preset.bulyan_draws):
            honest, _ = data.synthetic("iid", h, d, rng(5, d, draw))
            krum_gamma, gammas, bulyan_values, krum_values, values, stages = _bulyan_curve(
                leeway, column, honest, preset)
            search_gamma, search_displacement = measure.bulyan_search(honest, f, preset.budget)
            out.append({"d": d, "draw": draw, "f": f, "n": h + f, "sigma": 1.0, "gammas": gammas.tolist(),
                        "bulyan": bulyan_values.tolist(), "krum": krum_values.tolist(),
                        "krum_gamma_m": krum_gamma, "search_gamma": search_gamma,
                        "search_displacement": search_displacement, "honest_values": values.tolist(),
                        "honest_low": float(values.min()), "honest_high": float(values.max()), "stage": stages})
    return out


def _bulyan_range(leeway, column, preset, rng):
    out = []
    for draw in range(preset.range_draws):
        honest, _ = data.synthetic("iid", 3 * column.f + 3, preset.range_d, rng(6, preset.range_d, draw))
        _, _, bulyan_values, _, values, stages = _bulyan_curve(leeway, column, honest, preset)
        out.append({"d": preset.range_d, "draw": draw, "max": float(bulyan_values.max()),
                    "min": float(bulyan_values.min()), "honest_low": float(values.min()),
                    "honest_high": float(values.max()), "stage": stages})
    return out
