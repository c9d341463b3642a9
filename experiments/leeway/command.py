"""The attack's leeway, measured (paper, section 3 and appendix B; Bulyan, section 4).

    python -m experiments.leeway --preset=quick --data_dir=../shared/data
    python -m experiments.leeway --preset=full --exact --data_dir=../shared/data --out_dir=figures/leeway

Measures gamma_m of the `lp` attack (p = 2) and of the `linf` attack (p = inf, rules with norm="inf")
against Brute (n = 2f + 1), Krum and GeoMed (n = 2f + 3), on synthetic Gaussian gradients and on real
MNIST MLP gradients, against d and against f; fits log-log slopes and sets them beside appendix B's
exponents and closed forms; measures Bulyan(Krum) at n = 4f + 3 (experiments/leeway/study.py).
Writes <out_dir>/<preset>/: leeway_{d,ratio,f,bulyan}.{png,pdf} (plots/leeway_plot.py, drawing the
values of experiments/leeway/plot_data.py), leeway_claims.md (the paper's claims, as the figures'
tables: the d claims on the whole sweep and on its upper half, d >> 1), leeway_slopes.md (slopes and
verdicts on both ranges, ratios, Proposition 2's fit, the search's agreement, times) and
leeway_results.json (every measurement; the plots and tables are computed from it alone).
--plot_only re-plots and re-tables from leeway_results.json.
"""

import json
import os
import time

from absl import flags

from experiments.leeway import presets
from training import command_line

FLAGS = flags.FlagValues()
flags.DEFINE_enum("preset", "quick", list(presets.PRESETS), "tiny (seconds, for tests) | quick (<= 30 s on 2 "
                  "cores) | full (<= 5 min).", flag_values=FLAGS)
flags.DEFINE_bool("exact", False, "Cross-check each search with a float64 search of 64 probes (bisection) and "
                  "print their agreement.", flag_values=FLAGS)
flags.DEFINE_string("out_dir", "figures/leeway", "Outputs go to <out_dir>/<preset>/.", flag_values=FLAGS)
flags.DEFINE_string("data_dir", None, "Folder holding mnist/ (the 4 IDX .gz files); unset: TFDS.",
                    flag_values=FLAGS)
flags.DEFINE_integer("seed", 1, "Seed of every draw and of the MNIST model.", flag_values=FLAGS)
flags.DEFINE_bool("plot_only", False, "Only re-plot and re-table from <out_dir>/<preset>/leeway_results.json.",
                  flag_values=FLAGS)


def run_study(preset_name="quick", out_dir="figures/leeway", data_dir=None, exact=False, seed=1,
              plot_only=False, log=print):
    """Measures (unless `plot_only`), then writes the plots and tables; returns the paths written."""
    from experiments.leeway import bulyan_claims, claims, plot_data
    from plots import leeway_plot

    target = os.path.join(out_dir, preset_name)
    results_path = os.path.join(target, "leeway_results.json")
    if plot_only:
        if not os.path.exists(results_path):
            raise ValueError(f"--plot_only needs {results_path}: run the {preset_name} preset first")
        with open(results_path) as file:
            results = json.load(file)
    else:
        preset = presets.get(preset_name)
        from experiments.leeway import study  # TensorFlow: not needed to re-plot

        start, cpu = time.time(), time.process_time()
        results = study.run(preset, exact=exact, data_dir=data_dir, seed=seed, log=log)
        results["timing"]["all measurements (wall)"] = time.time() - start
        results["timing"]["all measurements (CPU)"] = time.process_time() - cpu
        os.makedirs(target, exist_ok=True)
        with open(results_path, "w") as file:
            json.dump(results, file)
    rows = claims.slopes(results["points"])
    start, cpu = time.time(), time.process_time()
    paths = leeway_plot.plot_all(plot_data.plot_data(results, rows), target)
    timing = {**results["timing"], "plots (wall)": time.time() - start, "plots (CPU)": time.process_time() - cpu}
    table = claims.claims_markdown(claims.claims(rows, results["bulyan"], results.get("bulyan_range", ())),
                                   results["description"])
    slopes = claims.slopes_markdown(rows, claims.distance_factors(results["points"]),
                                    claims.agreement(results["points"]), results["description"],
                                    timing, results.get("exact", False),
                                    bulyan_claims.proposition2_lines(results["bulyan"]))
    for name, text in (("leeway_claims.md", table), ("leeway_slopes.md", slopes)):
        paths.append(os.path.join(target, name))
        with open(paths[-1], "w") as file:
            file.write(text)
    log(slopes)
    log(table)
    log("wrote " + ", ".join(paths + [results_path]))
    return paths


def main(argv):
    del argv  # no positional arguments (`command_line.run`)
    start = time.time()
    try:
        run_study(FLAGS.preset, FLAGS.out_dir, FLAGS.data_dir, FLAGS.exact, FLAGS.seed, FLAGS.plot_only)
    except ValueError as error:
        command_line.fail(str(error))
    print(f"[leeway] {FLAGS.preset} preset: {time.time() - start:.1f} s wall, {time.process_time():.1f} s CPU "
          "(this process, imports included)")
