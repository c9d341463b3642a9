"""Time every aggregation rule against a memory-bound floor.

For n = 39 workers, f = 9 and each d (default: 79,510, the MNIST MLP, and 1,756,426, a
CIFAR-10 CNN), prints each rule's time in ms (median of --repeat runs of a tf.function, after a
warm-up call that traces it) and its ratio to one tf.reduce_mean over the same [n, d] matrix.
Rule and floor runs alternate, so both see the same machine load. Brute cannot run at n = 39
(C(39, 9) subsets): brute is timed at n = 11, f = 5 and bulyan-brute at n = 11, f = 2.
Bulyan rules are timed with the native coordinate-wise op when it loads, and again with the
pure-TF path ("[TF]" rows); "stage" rows time the coordinate-wise stage alone on [n - 2f, d];
"dist" rows time the pairwise l1 / l_inf distances as the rules compute them (XLA-compiled) and
as a plain TensorFlow graph ("[plain TF]"), with the plain/compiled ratio. "step" rows time each
pre-aggregation step alone ([n, d] -> [m, d]); then each chain of --chains is timed beside its final
rule alone, with their ratio (nnm+krum computes its distances once: well under two Krums).

    python benchmarks/bench_aggregators.py [--d=79510,1756426] [--repeat=5] [--rules=krum,median,...]
        [--chains=nnm+krum,bucketing+median,...]
"""

import contextlib
import os
import pathlib
import statistics
import sys
import time

import numpy as np
from absl import flags

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # the repository root

from training import command_line  # noqa: E402

command_line.import_tensorflow_quietly()  # no TensorFlow INFO banners on stderr
import tensorflow as tf  # noqa: E402

import aggregators  # noqa: E402
import native  # noqa: E402
from aggregators import coordinatewise, distances  # noqa: E402

SMALL_SETTING = {"brute": (11, 5), "bulyan-brute": (11, 2)}

FLAGS = flags.FlagValues()
command_line.define_integer_list("d", [79_510, 1_756_426], "Gradient sizes d.", FLAGS)
flags.DEFINE_integer("n", 39, "Workers.", flag_values=FLAGS)
flags.DEFINE_integer("f", 9, "Byzantine workers declared to the rules.", flag_values=FLAGS)
flags.DEFINE_integer("repeat", 5, "Timed runs per rule (the median is shown).", flag_values=FLAGS)
flags.DEFINE_enum("norm", "2", ["2", "1", "inf"], "The norm of the distance-based rules.", flag_values=FLAGS)
flags.DEFINE_list("rules", [name for name in aggregators.names() if name != "bulyan"],
                  "Rules to time, comma-separated.", flag_values=FLAGS)
flags.DEFINE_list("chains", ["nnm+krum", "nnm+trimmed-mean", "nnm+geometric-median", "arc+nnm+trimmed-mean",
                             "bucketing+median", "clip+average"],
                  "Pre-aggregation chains to time beside their final rule.", flag_values=FLAGS)


@contextlib.contextmanager
def native_op(enabled):
    """BULYAN_NATIVE=0 while tracing when `enabled` is False (read by `native.load()`)."""
    previous = os.environ.get("BULYAN_NATIVE")
    if not enabled:
        os.environ["BULYAN_NATIVE"] = "0"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("BULYAN_NATIVE", None)
        else:
            os.environ["BULYAN_NATIVE"] = previous


def timed_ms(function, argument):
    start = time.perf_counter()
    function(argument).numpy()
    return 1000 * (time.perf_counter() - start)


def time_against_floor(function, argument, floor_argument, repeat):
    """(rule ms, floor ms, warm-up s): medians of alternating runs after one warm-up each."""
    floor = tf.function(lambda x: tf.reduce_mean(x, axis=0))
    floor(floor_argument).numpy()
    warm_up = timed_ms(function, argument) / 1000
    rule_times, floor_times = [], []
    for _ in range(repeat):
        floor_times.append(timed_ms(floor, floor_argument))
        rule_times.append(timed_ms(function, argument))
    return statistics.median(rule_times), statistics.median(floor_times), warm_up


def main(argv):
    norm = "inf" if FLAGS.norm == "inf" else int(FLAGS.norm)
    has_native = native.load() is not None

    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPU cores, "
          f"GPUs: {len(tf.config.list_physical_devices('GPU'))}, native Bulyan op: "
          f"{'loaded' if has_native else 'not available (pure TF only)'}, norm {FLAGS.norm}, "
          f"float32, median of {FLAGS.repeat} runs; ratio = ms / floor ms (tf.reduce_mean)")
    header = (f"{'rule':<22} {'n':>3} {'f':>2} {'d':>9} {'ms':>9} {'floor ms':>9} {'ratio':>7} "
              f"{'warm-up s':>9}")
    for d in FLAGS.d:
        rng = np.random.default_rng(d)
        print()
        print(header)
        print("-" * len(header))

        def report(label, n, f, function, argument, floor_argument, note=""):
            rule_ms, floor_ms, warm_up = time_against_floor(function, argument, floor_argument,
                                                            FLAGS.repeat)
            print(f"{label:<22} {n:>3} {f:>2} {d:>9} {rule_ms:>9.1f} {floor_ms:>9.1f} "
                  f"{rule_ms / floor_ms:>7.1f} {warm_up:>9.1f}{note}", flush=True)
            return rule_ms

        for rule in FLAGS.rules:
            n, f = SMALL_SETTING.get(rule, (FLAGS.n, FLAGS.f))
            gradients = tf.constant(rng.standard_normal((n, d), np.float32))
            options = {"norm": norm} if "norm" in aggregators.get(rule).options else {}
            note = "  (n=39 impossible: C(39, 9) subsets)" if rule in SMALL_SETTING else ""
            paths = [True, False] if rule.startswith("bulyan") and has_native else [has_native]
            for use_native in paths:
                with native_op(use_native):
                    function = tf.function(
                        lambda x, rule=rule, f=f: aggregators.aggregate(rule, x, f, **options))
                    label = rule if use_native or not rule.startswith("bulyan") else f"{rule} [TF]"
                    report(label, n, f, function, gradients, gradients, note)
            del gradients

        n, f = FLAGS.n, FLAGS.f
        gradients = tf.constant(rng.standard_normal((n, d), np.float32))
        for step in aggregators.steps():
            function = tf.function(lambda x, step=step: aggregators.pre_aggregate(step, x, f))
            report(f"step {step}", n, f, function, gradients, gradients)
        for chain in FLAGS.chains:
            final = chain.split("+")[-1]
            options = {"norm": norm} if "norm" in aggregators.get(final).options else {}
            alone = tf.function(lambda x, final=final: aggregators.aggregate(final, x, f, **options))
            chained = tf.function(lambda x, chain=chain: aggregators.aggregate(chain, x, f, **options))
            alone_ms = report(final, n, f, alone, gradients, gradients)
            chain_ms = report(chain, n, f, chained, gradients, gradients)
            print(f"  {chain} / {final} alone = {chain_ms / alone_ms:.2f}")
        del gradients

        theta, beta = n - 2 * f, n - 4 * f
        picked = tf.constant(rng.standard_normal((theta, d), np.float32))
        full = tf.constant(rng.standard_normal((n, d), np.float32))
        stages = [("stage [TF]", coordinatewise.closest_to_median_mean_tf)]
        if has_native:
            stages.insert(0, ("stage [native]", native.load()))
        for label, stage in stages:
            function = tf.function(lambda x, stage=stage: stage(x, beta))
            report(label, theta, beta, function, picked, full,
                   f"  (theta={theta}, beta={beta}; floor over [{n}, d])")
        del picked, full

        gradients = tf.constant(rng.standard_normal((n, d), np.float32))
        for name, norm, reduce in (("l1", 1, tf.reduce_sum), ("l_inf", "inf", tf.reduce_max)):
            compiled = tf.function(lambda x, norm=norm: distances.pairwise_distances(x, norm))
            plain = tf.function(lambda x, reduce=reduce: distances.rowwise_distances(x, reduce))
            compiled_ms = report(f"dist {name}", n, f, compiled, gradients, gradients)
            plain_ms = report(f"dist {name} [plain TF]", n, f, plain, gradients, gradients)
            print(f"  {name} distances: plain TF / XLA-compiled = {plain_ms / compiled_ms:.2f}")
        del gradients


if __name__ == "__main__":
    command_line.run(main, FLAGS, __doc__)
