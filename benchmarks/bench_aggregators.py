"""Time every aggregation rule against a memory-bound floor (issue 2, "Speed").

For n = 39 workers, f = 9 and each d (default: 79,510, the MNIST MLP, and 1,756,426, a
CIFAR-10 CNN), prints each rule's time in ms (median of --repeat runs of a tf.function, after a
warm-up call that traces it) and its ratio to one tf.reduce_mean over the same [n, d] matrix,
timed right before the rule in the same process. Brute cannot run at n = 39 (C(39, 9) subsets):
brute is timed at n = 11, f = 5 and bulyan-brute at n = 11, f = 2, with their own floor.

    python benchmarks/bench_aggregators.py [--d 79510 1756426] [--repeat 5] [--rules krum ...]
"""

import argparse
import pathlib
import statistics
import sys
import time

import numpy as np
import tensorflow as tf

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # the repository root

import aggregators  # noqa: E402
import native  # noqa: E402

SMALL_SETTING = {"brute": (11, 5), "bulyan-brute": (11, 2)}


def median_ms(function, argument, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(argument).numpy()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def time_rule(rule, n, f, d, repeat, norm, seed=0):
    gradients = tf.constant(np.random.default_rng(seed).standard_normal((n, d), np.float32))
    floor = tf.function(lambda x: tf.reduce_mean(x, axis=0))
    floor(gradients).numpy()
    options = {"norm": norm} if "norm" in aggregators.get(rule).options else {}
    aggregate = tf.function(lambda x: aggregators.aggregate(rule, x, f, **options))
    start = time.perf_counter()
    aggregate(gradients).numpy()
    warm_up = time.perf_counter() - start
    floor_ms = median_ms(floor, gradients, repeat)
    rule_ms = median_ms(aggregate, gradients, repeat)
    return rule_ms, floor_ms, warm_up


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d", type=int, nargs="+", default=[79_510, 1_756_426])
    parser.add_argument("--n", type=int, default=39)
    parser.add_argument("--f", type=int, default=9)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--norm", default="2", help="2, 1 or inf, for the distance-based rules")
    parser.add_argument("--rules", nargs="+",
                        default=[name for name in aggregators.names() if name != "bulyan"])
    args = parser.parse_args()
    norm = "inf" if args.norm == "inf" else int(args.norm)

    print(f"TensorFlow {tf.__version__}, {len(tf.config.list_physical_devices('CPU'))} CPU "
          f"device(s), GPUs: {len(tf.config.list_physical_devices('GPU'))}, "
          f"native Bulyan op: {'yes' if native.load() is not None else 'no (pure TF)'}, "
          f"norm {args.norm}, float32, median of {args.repeat} runs")
    header = f"{'rule':<18} {'n':>3} {'f':>2} {'d':>9} {'ms':>9} {'floor ms':>9} {'ratio':>7} " \
             f"{'warm-up s':>9}"
    for d in args.d:
        print()
        print(header)
        print("-" * len(header))
        for rule in args.rules:
            n, f = SMALL_SETTING.get(rule, (args.n, args.f))
            rule_ms, floor_ms, warm_up = time_rule(rule, n, f, d, args.repeat, norm)
            note = "  (n=39 impossible: C(39, 9) subsets)" if rule in SMALL_SETTING else ""
            print(f"{rule:<18} {n:>3} {f:>2} {d:>9} {rule_ms:>9.1f} {floor_ms:>9.1f} "
                  f"{rule_ms / floor_ms:>7.1f} {warm_up:>9.1f}{note}", flush=True)


if __name__ == "__main__":
    main()
