"""Planted-mistake check: does the test suite notice when one line of the project goes wrong?

    python tests/mutation_check.py               # every mutation (a few minutes on 2 cores)
    python tests/mutation_check.py --only=krum-neighbours-n-f-1,claims-useless-forced
    python tests/mutation_check.py --list        # the mutations and their tests

Each mutation is one exact piece of text of one file replaced by another (a plausible mistake:
an off-by-one count, a comparison turned around, a verdict forced). The repository is copied once
to a temporary folder (without .venv, .git, results, figures, data, caches); for each mutation the
script checks that the original text occurs exactly once in its file (and stops with an error
otherwise: the mutation no longer applies and must be updated), writes the mutated file, runs

    python -m pytest -q -x -p no:cacheprovider <the mutation's tests>

in the copy, restores the file, and prints one line: "caught" (the tests failed) or "SURVIVED"
(they passed). Exit status 1 if any mutation survives, 2 if the check itself cannot run.

Environment of the test runs: BULYAN_NATIVE is unset, so the native Bulyan op is used where it is
built (the copy keeps native/_closest_to_median_mean.so), and tests/test_bulyan_native_vs_tf.py
runs every Bulyan rule both with the op and with BULYAN_NATIVE=0 (pure TF) in the same run: the
mutations of the pure-TF coordinate stage are caught there. PYTHONPATH is the copy and bytecode is
not written, so the copy's (mutated) modules are the ones imported; a preliminary check imports
the packages and verifies it. Before the mutations, the union of their tests runs once on the
unmutated copy and must pass (--skip-baseline skips it).

This file is not collected by pytest (no test_ prefix).
"""

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IGNORED = (".venv", ".git", "results", "figures", "data", "build", "__pycache__", ".pytest_cache",
           "*.egg-info", ".whl", ".gl", "*.pyc")
TIMEOUT = 900  # seconds per pytest run


@dataclasses.dataclass(frozen=True)
class Mutation:
    name: str
    file: str  # relative to the repository
    original: str  # must occur exactly once in the file
    replacement: str
    tests: tuple  # pytest arguments: files, node ids, or "-k", "expression"
    why: str = ""


RULES = ("tests/test_rules_decisive.py",)
NATIVE_VS_TF = ("tests/test_bulyan_native_vs_tf.py",)
SEARCH = ("tests/test_search_tightness.py",)
CLAIMS = ("tests/test_claims_verdicts.py",)

MUTATIONS = [
    # --- aggregation rules -----------------------------------------------------------------------
    Mutation("krum-neighbours-n-f-1", "aggregators/krum.py",
             "first_argmin(scores(tf.square(distances), n - f - 2))[None]",
             "first_argmin(scores(tf.square(distances), n - f - 1))[None]", RULES,
             "Krum scores with n - f - 1 neighbours"),
    Mutation("krum-plain-distances", "aggregators/krum.py",
             "first_argmin(scores(tf.square(distances), n - f - 2))[None]",
             "first_argmin(scores(distances, n - f - 2))[None]", RULES,
             "Krum sums distances, not squared distances"),
    Mutation("multi-krum-neighbours-n-f-1", "aggregators/multi_krum.py",
             "scores = krum.scores(tf.square(distances), n - f - 2)",
             "scores = krum.scores(tf.square(distances), n - f - 1)", RULES),
    Mutation("multi-krum-default-m-n-f-1", "aggregators/multi_krum.py",
             "m = n - f if m is None else m", "m = n - f - 1 if m is None else m", RULES),
    Mutation("multi-krum-ties-to-highest", "aggregators/multi_krum.py",
             "tf.argsort(scores, stable=True)[:m]", "tf.argsort(-scores, stable=True)[::-1][:m]",
             RULES, "equal Krum scores ordered by decreasing index"),
    Mutation("geomed-squared-distances", "aggregators/geomed.py",
             "tf.where(counted, distances, tf.zeros_like(distances))",
             "tf.where(counted, tf.square(distances), tf.zeros_like(distances))", RULES),
    Mutation("brute-subsets-n-f-1", "aggregators/brute.py",
             "subsets, first, second = _subsets(m, m - f)",
             "subsets, first, second = _subsets(m, m - f - 1)", RULES),
    Mutation("brute-sum-not-diameter", "aggregators/brute.py",
             "diameters = tf.reduce_max(tf.gather_nd(distances, pairs), axis=1)",
             "diameters = tf.reduce_sum(tf.gather_nd(distances, pairs), axis=1)", RULES),
    Mutation("ties-to-highest-index", "aggregators/selection.py",
             "    return tf.reduce_min(index)",
             "    return tf.reduce_max(tf.where(index < n, index, -1))", RULES),
    Mutation("trimmed-mean-trims-f-1", "aggregators/trimmed_mean.py",
             "sorting.nan_as_inf(gradients), f, n - f)",
             "sorting.nan_as_inf(gradients), f - 1, n - f + 1)", RULES),
    Mutation("median-even-lower-value", "aggregators/coordinatewise.py",
             "return 0.5 * middle[0] + 0.5 * middle[1]", "return middle[0]", RULES),
    Mutation("bulyan-theta-n-2f-1", "aggregators/bulyan.py",
             "for step in range(n - 2 * f):", "for step in range(n - 2 * f - 1):", RULES),
    Mutation("bulyan-beta-n-4f+1", "aggregators/bulyan.py",
             "closest_to_median_mean(picked, theta - 2 * f)",
             "closest_to_median_mean(picked, theta - 2 * f + 1)", RULES),
    Mutation("bulyan-krum-neighbours-m-f-1", "aggregators/krum.py",
             "neighbours = max(remaining - f - 2, 1)", "neighbours = max(remaining - f - 1, 1)",
             RULES, "Bulyan's iterated Krum with one neighbour too many"),
    Mutation("bulyan-neighbours-from-n", "aggregators/bulyan.py",
             "remaining = n - step", "remaining = n", RULES,
             "Bulyan's iterations count the rows left as n"),
    Mutation("bulyan-tf-upper-median", "aggregators/coordinatewise.py",
             "middle = (theta - 1) // 2", "middle = theta // 2", NATIVE_VS_TF + RULES,
             "pure-TF coordinate stage around the upper middle value"),
    Mutation("bulyan-tf-tie-break-flipped", "aggregators/coordinatewise.py",
             "tf.cast(lower_gap > upper_gap, tf.int32)", "tf.cast(lower_gap >= upper_gap, tf.int32)",
             NATIVE_VS_TF, "pure-TF coordinate stage breaks ties toward the higher value"),
    Mutation("geometric-median-one-step-fewer", "aggregators/geometric_median.py",
             "return (t < iterations) & (change > tolerance)",
             "return (t < iterations - 1) & (change > tolerance)",
             ("tests/test_aggregators_hostile.py", "-k", "never_reach and geometric")),
    Mutation("arc-k-plus-1", "aggregators/arc.py",
             "return (2 * f * (n - f)) // n", "return (2 * f * (n - f)) // n + 1",
             ("tests/test_pre_aggregation.py", "-k", "arc")),
    Mutation("nnm-n-f+1-neighbours", "aggregators/nnm.py",
             "stable=True)[:, :n - f]", "stable=True)[:, :n - f + 1]",
             ("tests/test_pre_aggregation.py", "-k", "nnm")),
    Mutation("phocas-keeps-n-f-1", "aggregators/phocas.py",
             "return coordinatewise.closest_window_mean(ordered, center, n - f)",
             "return coordinatewise.closest_window_mean(ordered, center, n - f - 1)",
             ("tests/test_aggregators_api.py", "-k", "output_is_a_tensor"),
             "Phocas averages n - f - 1 values"),
    Mutation("centered-clipping-step-over-n-1", "aggregators/centered_clipping.py",
             "transpose_a=True) / n", "transpose_a=True) / (n - 1)",
             ("tests/test_attacks_shift.py", "-k", "non_finite and centered")),
    Mutation("l2-distance-floor", "aggregators/distances.py",
             "tf.maximum(squared, 0))", "tf.maximum(squared, 1e-6))",
             ("tests/test_aggregators_api.py", "-k", "pairwise_distances_match_numpy"),
             "identical rows 1e-3 apart"),
    Mutation("native-dispatch-sorted-values", "aggregators/coordinatewise.py",
             "        return op(picked, beta)", "        return op(tf.sort(picked, axis=0), beta)",
             ("tests/test_aggregators_api.py", "-k", "dispatches"),
             "the op receives the picked values sorted (same output, other input)"),
    # --- the attack's search ---------------------------------------------------------------------
    Mutation("attack-gamma-0.6-in-shift", "attacks/shift.py",
             "gamma, _ = largest_selected(rule, gar_options, honest_distances, stats, f, scale, budget)",
             "gamma = 0.6 * largest_selected(rule, gar_options, honest_distances, stats, f, scale, "
             "budget)[0]", SEARCH, "selecting rules: gamma_m 40% short"),
    Mutation("attack-gamma-0.6-in-search", "attacks/gamma_search.py",
             "    return lo, hi", "    return 0.6 * lo, hi",
             ("tests/test_attacks_shift.py", "-k", "not_one_percent_further or linf_attack_on"),
             "every search for a largest accepted gamma 40% short"),
    Mutation("attack-displacement-bracket-low-x16", "attacks/shift.py",
             "low = coordinate_spread / 4", "low = coordinate_spread * 4",
             ("tests/test_search_tightness.py", "-k", "displacement"),
             "the displacement search starts above the peak"),
    Mutation("attack-logs-twice-gamma", "attacks/shift.py",
             "        gamma, value = gamma_search.most_deviating(displacement, low, high, budget)\n"
             "        context.log(\"gamma\", gamma)",
             "        gamma, value = gamma_search.most_deviating(displacement, low, high, budget)\n"
             "        context.log(\"gamma\", 2 * gamma)",
             ("tests/test_attacks_shift.py", "-k", "shape_dtype and median and float64")),
    Mutation("minmax-perturbation-sign", "attacks/perturbed_mean.py",
             "    return -tf.math.reduce_std(honest, axis=0)",
             "    return tf.math.reduce_std(honest, axis=0)",
             ("tests/test_attacks_simple.py", "-k", "values_shape")),
    Mutation("evaluation-accuracy-off-by-one", "training/evaluate.py",
             "return correct / count, loss_sum / count", "return correct / (count + 1), loss_sum / count",
             ("tests/test_training_run.py", "-k", "keep_diverged_trains_on_nan")),
    # --- the claims' verdicts --------------------------------------------------------------------
    Mutation("claims-useless-forced", "experiments/paper/claims.py",
             "accuracy)], accuracy <= USELESS_ACCURACY", "accuracy)], True", CLAIMS),
    Mutation("claims-learns-but-slower-forced", "experiments/paper/claims.py",
             "holds = all(not ineffective(gaps[c]) and slower(means[c]) for c in curves)",
             "holds = True", CLAIMS),
    Mutation("claims-ineffective-19-points", "experiments/paper/claims.py",
             "INEFFECTIVE_POINTS = 20.0", "INEFFECTIVE_POINTS = 19.0", CLAIMS),
    Mutation("claims-same-6-points", "experiments/paper/claims.py",
             "SAME_POINTS = 5.0", "SAME_POINTS = 6.0", CLAIMS),
    Mutation("claims-useless-25-percent", "experiments/paper/claims.py",
             "\nUSELESS_ACCURACY = 0.2\n", "\nUSELESS_ACCURACY = 0.25\n", CLAIMS),
    Mutation("claims-krum-decrease-from-15", "experiments/paper/claims.py",
             "KRUM_DECREASE = (0.165, 0.66)", "KRUM_DECREASE = (0.15, 0.66)", CLAIMS),
    Mutation("claims-figure5-krum-not-strict", "experiments/paper/claims.py",
             '["krum", "geomed"], SAME_POINTS + 1e-9)', '["krum", "geomed"], SAME_POINTS - 1)', CLAIMS),
    Mutation("claims-cost-gap-need-not-shrink", "experiments/paper/claims.py",
             "shrinks = p <= SHRINK_P", "shrinks = True", CLAIMS),
    Mutation("claims-figure8-filed-under-figure7", "experiments/paper/claims.py",
             'Claim("figure8-all-ineffective", 8,', 'Claim("figure8-all-ineffective", 7,', CLAIMS),
    Mutation("claims-cost-diverged-batches-kept", "experiments/paper/claims.py",
             "trained = [b for b in sizes if diverged_at(results.metrics[panel, reference, b]) is None]",
             "trained = list(sizes)", CLAIMS),
    Mutation("spread-order-weights-shifted", "attacks/spread.py",
             "tf.range(1 - h, h, 2,", "tf.range(-h, h - 1, 2,", ("tests/test_attacks_spread.py",),
             "right on centred rows (each column sums to 0), wrong on any other"),
    Mutation("spread-logging-moves-b", "attacks/shift.py",
             'context.log("delta_bar", spread.delta_bar(centered))',
             'context.log("delta_bar", spread.delta_bar(centered))\n        mean = mean * (1 + 1e-6)',
             ("tests/test_attacks_spread.py",), "logging the spread must change no submitted number"),
    Mutation("gamma-trace-n-ignored", "experiments/leeway/theory.py",
             "ratio = (f + 1) / 2 if n is None else (n - f - 2) / (n - 2 * f - 1)", "ratio = (f + 1) / 2",
             ("tests/test_gamma_trace.py", "-k", "hand_made"), "Figure 4's n = 39 is not the appendix's 2f + 3"),
    Mutation("gamma-trace-window-from-step-0", "experiments/paper/gamma_trace.py",
             "first, last = config.attack_start + 1,", "first, last = config.attack_start,",
             ("tests/test_gamma_trace.py", "-k", "windows"), "row s is the state after step s"),
    Mutation("gamma-trace-summary-keeps-nan", "experiments/paper/gamma_trace.py",
             'ratio = pooled["ratio"][np.isfinite(pooled["ratio"])]', 'ratio = pooled["ratio"]',
             ("tests/test_gamma_trace.py", "-k", "summary"), "a step without a closed form has no ratio"),
]


def copy_repository(target):
    shutil.copytree(REPO, target, ignore=shutil.ignore_patterns(*IGNORED))


def environment(copy):
    env = dict(os.environ)
    env.pop("BULYAN_NATIVE", None)
    env["PYTHONPATH"] = copy
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def check_imports(copy, env):
    """The packages the tests import resolve inside the copy, not to the editable install."""
    code = ("import aggregators, attacks, experiments.paper.claims, native, training\n"
            "for m in (aggregators, attacks, experiments.paper.claims, native, training):\n"
            "    print(m.__file__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=copy, env=env, capture_output=True,
                         text=True, timeout=TIMEOUT)
    paths = out.stdout.split()
    if out.returncode or len(paths) != 5 or not all(
            os.path.realpath(p).startswith(os.path.realpath(copy) + os.sep) for p in paths):
        sys.exit(f"mutation_check: the copy's packages are not the ones imported:\n{out.stdout}"
                 f"{out.stderr[-2000:]}")


def run_tests(copy, env, tests):
    """(pytest exit code, seconds, last lines of its output)."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                          *tests], cwd=copy, env=env, capture_output=True, text=True,
                         timeout=TIMEOUT)
    tail = "\n".join((out.stdout + out.stderr).strip().splitlines()[-15:])
    return out.returncode, time.perf_counter() - start, tail


def apply(copy, mutation):
    """Writes the mutated file; returns its original text."""
    path = os.path.join(copy, mutation.file)
    with open(path, encoding="utf-8") as file:
        text = file.read()
    count = text.count(mutation.original)
    if count != 1:
        sys.exit(f"mutation_check: {mutation.name}: the original text occurs {count} times in "
                 f"{mutation.file} (must be exactly once): {mutation.original!r}")
    with open(path, "w", encoding="utf-8") as file:
        file.write(text.replace(mutation.original, mutation.replacement))
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated mutation names")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--skip-baseline", action="store_true",
                        help="do not run the tests on the unmutated copy first")
    parser.add_argument("--verbose", action="store_true", help="show pytest's output tail")
    args = parser.parse_args(argv)

    names = [name for name in args.only.split(",") if name]
    unknown = sorted(set(names) - {m.name for m in MUTATIONS})
    if unknown:
        sys.exit(f"mutation_check: unknown mutation(s) {', '.join(unknown)}; see --list")
    chosen = [m for m in MUTATIONS if not names or m.name in names]
    if args.list:
        for m in chosen:
            print(f"{m.name}: {m.file}: {m.original!r} -> {m.replacement!r}; tests: {' '.join(m.tests)}")
        return 0

    with tempfile.TemporaryDirectory(prefix="mutation_check_") as temporary:
        copy = os.path.join(temporary, "repo")
        copy_repository(copy)
        env = environment(copy)
        check_imports(copy, env)
        for m in chosen:  # every original text is there before anything runs
            with open(os.path.join(copy, m.file), encoding="utf-8") as file:
                if file.read().count(m.original) != 1:
                    apply(copy, m)  # exits with the message
        if not args.skip_baseline:
            files, selections = [], []
            for m in chosen:
                if "-k" in m.tests:
                    selections.append(m.tests)
                else:
                    files += [t for t in m.tests if t not in files]
            for tests in ([tuple(files)] if files else []) + list(dict.fromkeys(selections)):
                code, seconds, tail = run_tests(copy, env, tests)
                print(f"baseline   {'passed' if code == 0 else 'FAILED'}  ({seconds:5.1f} s)  "
                      f"{' '.join(tests)}", flush=True)
                if code != 0:
                    print(tail)
                    sys.exit("mutation_check: the tests fail without any mutation; fix that first")

        survived, started = [], time.perf_counter()
        for m in chosen:
            original = apply(copy, m)
            try:
                code, seconds, tail = run_tests(copy, env, m.tests)
            finally:
                with open(os.path.join(copy, m.file), "w", encoding="utf-8") as file:
                    file.write(original)
            if code == 0:
                survived.append(m.name)
                verdict = "SURVIVED"
            elif code in (1, 2):  # tests failed, or the mutated code did not even import
                verdict = "caught  "
            else:
                sys.exit(f"mutation_check: {m.name}: pytest exited with {code}:\n{tail}")
            print(f"{verdict}  {m.name:40s} ({seconds:5.1f} s)  {m.file}: {' '.join(m.tests)}",
                  flush=True)
            if args.verbose:
                print(tail)
        total = time.perf_counter() - started
        print(f"\n{len(chosen)} mutations: {len(chosen) - len(survived)} caught, "
              f"{len(survived)} survived ({total:.0f} s)"
              + (f": {', '.join(survived)}" if survived else ""))
        return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
