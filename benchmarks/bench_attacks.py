"""Time the paper's attacks at one step: the gamma search with its rule evaluations.

For n = 39, f = 9 (Figures 4 and 5) and d = 1,756,426 (the CIFAR-10 CNN) by default, prints the ms of
one `lp` attack (16 rule evaluations) against Bulyan(Krum) as the training step runs it, where each
evaluation reads only the attacked column (`rule.coordinatewise`), and with that shortcut off (the rule
evaluated on the whole [n, d] matrix), with their ratio; then `lp` against Krum and `linf` against
Krum (norm inf) for reference. Medians of --repeat interleaved runs of a tf.function, after a
warm-up call that traces it, all in this one run.

    python benchmarks/bench_attacks.py [--d=1756426] [--n=39] [--f=9] [--repeat=3]
"""

import dataclasses
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
import attacks  # noqa: E402
from attacks import shift  # noqa: E402

FLAGS = flags.FlagValues()
flags.DEFINE_integer("d", 1_756_426, "Gradient size d.", flag_values=FLAGS)
flags.DEFINE_integer("n", 39, "Workers.", flag_values=FLAGS)
flags.DEFINE_integer("f", 9, "Byzantine workers.", flag_values=FLAGS)
flags.DEFINE_integer("repeat", 3, "Timed runs per candidate (the median is shown).", flag_values=FLAGS)


def attack_function(attack, n, f, gar, gar_options, rule=None):
    """A tf.function running `attack` on honest [n - f, d]; `rule` replaces the registry's."""
    def run(honest):
        context = attacks.AttackContext(n=n, f=f, gar=gar, gar_options=gar_options,
                                        step=tf.constant(0, tf.int64), params=tf.zeros([1]),
                                        seed=tf.constant([1, 2], tf.int32))
        original = shift.aggregators.get
        if rule is not None:
            shift.aggregators.get = lambda name: rule
        try:
            return attacks.get(attack)(honest, context)
        finally:
            shift.aggregators.get = original
    return tf.function(run)


def main(argv):
    n, f, d = FLAGS.n, FLAGS.f, FLAGS.d
    rng = np.random.default_rng(0)
    honest = tf.constant((rng.standard_normal(d) + rng.standard_normal((n - f, d))).astype(np.float32))
    bulyan = aggregators.get("bulyan-krum")
    candidates = {
        "lp, bulyan-krum, one column": attack_function("lp", n, f, "bulyan-krum", {}),
        "lp, bulyan-krum, whole matrix": attack_function(
            "lp", n, f, "bulyan-krum", {}, dataclasses.replace(bulyan, coordinatewise=False)),
        "lp, krum": attack_function("lp", n, f, "krum", {}),
        "linf, krum (norm inf)": attack_function("linf", n, f, "krum", {"norm": "inf"}),
    }
    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPU cores, n={n}, f={f}, d={d:,}, float32, "
          f"budget 16, median of {FLAGS.repeat} interleaved runs")
    for function in candidates.values():
        function(honest).numpy()  # trace and warm up
    times = {name: [] for name in candidates}
    for _ in range(FLAGS.repeat):
        for name, function in candidates.items():
            start = time.perf_counter()
            function(honest).numpy()
            times[name].append(1000 * (time.perf_counter() - start))
    ms = {name: statistics.median(values) for name, values in times.items()}
    for name, value in ms.items():
        print(f"{name:<32} {value:>9.1f} ms")
    ratio = ms["lp, bulyan-krum, whole matrix"] / ms["lp, bulyan-krum, one column"]
    print(f"Bulyan attack, whole matrix / one column: {ratio:.1f}")


if __name__ == "__main__":
    command_line.run(main, FLAGS, __doc__)
