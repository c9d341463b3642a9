"""Benchmark of Bulyan's coordinate-wise stage: the native op, the pure-TF path, NumPy.

For theta = 21, beta = 3 (Bulyan with n = 39, f = 9) at d = 79,510 (MNIST MLP) and 1,756,426
(CIFAR-10 CNN), prints each implementation's time in ms (median of --repeat runs, the
implementations interleaved so that they share the machine's load) and the op's ratio to one
tf.reduce_mean(x, axis=0) over the same [theta, d] matrix (a memory-bound floor).
Goal: the op >= 5x faster than the pure-TF path and within 4x of the floor.

    python benchmarks/bench_native.py [--d=79510,1756426] [--repeat=9] [--crossover]

--crossover also times the op's two algorithms ('network', 'quickselect') for a range of theta.
"""

import os
import sys
import time

import numpy as np
from absl import flags

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from training import command_line  # noqa: E402

command_line.import_tensorflow_quietly()  # no TensorFlow INFO banners on stderr
import tensorflow as tf  # noqa: E402

import native  # noqa: E402

FLAGS = flags.FlagValues()
command_line.define_integer_list("d", [79_510, 1_756_426], "Gradient sizes d.", FLAGS)
flags.DEFINE_integer("theta", 21, "Rows of the picked matrix (Bulyan's theta = n - 2f).", flag_values=FLAGS)
flags.DEFINE_integer("beta", 3, "Values averaged per coordinate (Bulyan's beta = theta - 2f).", flag_values=FLAGS)
flags.DEFINE_integer("repeat", 9, "Timed runs per implementation (the median is shown).", flag_values=FLAGS)
flags.DEFINE_bool("crossover", False, "Also time 'network' against 'quickselect' for several theta.",
                  flag_values=FLAGS)


def numpy_closest_to_median_mean(picked, beta):
    """NumPy version built on np.partition: only the positions m - beta + 1 .. m + beta - 1
    around the lower median m are put in sorted place, then one value of each pair
    (sorted[m - i], sorted[m + beta - i]) is kept: the closer one, the lower one on ties."""
    picked = np.where(np.isnan(picked), np.inf, picked)
    theta = picked.shape[0]
    middle, reach = (theta - 1) // 2, beta - 1
    first, last = max(0, middle - reach), min(theta - 1, middle + reach)
    ordered = np.partition(picked, list(range(first, last + 1)), axis=0)
    median = ordered[middle]
    total = median.astype(np.float64)
    for i in range(1, reach + 1):
        below, above = middle - i, middle + reach + 1 - i
        if below < 0 or above >= theta:
            total += ordered[above if below < 0 else below]
            continue
        low, high = ordered[below], ordered[above]
        with np.errstate(invalid="ignore"):
            keep_low = np.where(low == median, 0, median - low) <= np.where(
                high == median, 0, high - median)
        total += np.where(keep_low, low, high)
    return (total / beta).astype(picked.dtype)


def tf_sort_closest_to_median_mean(picked, beta):
    """The same stage in TensorFlow with a full tf.sort of every coordinate (for comparison)."""
    theta = picked.shape[0]
    middle, reach = (theta - 1) // 2, beta - 1
    ordered = tf.sort(tf.where(tf.math.is_nan(picked), tf.constant(np.inf, picked.dtype), picked),
                      axis=0)
    median = ordered[middle]
    total = median
    for i in range(1, reach + 1):
        below, above = middle - i, middle + reach + 1 - i
        if below < 0 or above >= theta:
            total += ordered[above if below < 0 else below]
            continue
        low, high = ordered[below], ordered[above]
        total += tf.where(median - low <= high - median, low, high)
    return total / beta


def pure_tf_path():
    """aggregators.coordinatewise.closest_to_median_mean_tf, or the tf.sort version if missing."""
    try:
        from aggregators.coordinatewise import closest_to_median_mean_tf
        return "aggregators.coordinatewise.closest_to_median_mean_tf", closest_to_median_mean_tf
    except ImportError:
        return ("tf.sort stand-in (aggregators.coordinatewise missing)",
                tf_sort_closest_to_median_mean)


def interleaved_medians(functions, argument, repeat):
    """Median wall time in ms of each function(argument), after one warm-up call each, the
    functions called in turn within each repetition."""
    for function in functions.values():
        np.asarray(function(argument))
    times = {name: [] for name in functions}
    for _ in range(repeat):
        for name, function in functions.items():
            start = time.perf_counter()
            np.asarray(function(argument))  # forces the result
            times[name].append(1e3 * (time.perf_counter() - start))
    return {name: float(np.median(values)) for name, values in times.items()}


def main(argv):
    os.environ.setdefault("BULYAN_NATIVE", "1")
    op = native.load()
    if op is None:
        sys.exit("bench_native: BULYAN_NATIVE=0 disables the op; nothing to benchmark")
    pure_tf_name, pure_tf = pure_tf_path()
    theta, beta = FLAGS.theta, FLAGS.beta
    print(f"theta={theta}, beta={beta}, float32, {os.cpu_count()} CPUs, "
          f"median of {FLAGS.repeat} interleaved runs; floor = tf.reduce_mean(x, axis=0)")
    print(f"pure-TF path: {pure_tf_name}")

    functions = {
        "op": tf.function(lambda x: op(x, beta)),
        "pure-TF": tf.function(lambda x: pure_tf(x, beta)),
        "tf.sort": tf.function(lambda x: tf_sort_closest_to_median_mean(x, beta)),
        "floor": tf.function(lambda x: tf.reduce_mean(x, axis=0)),
    }
    header = (f"{'d':>10} | {'op ms':>7} | {'pure-TF ms':>10} | {'tf.sort ms':>10} | "
              f"{'NumPy ms':>8} | {'floor ms':>8} | {'op/floor':>8} | {'pure-TF/op':>10}")
    print(header)
    print("-" * len(header))
    rng = np.random.default_rng(0)
    for d in FLAGS.d:
        values = rng.standard_normal((theta, d)).astype(np.float32)
        picked = tf.constant(values)
        expected = numpy_closest_to_median_mean(values, beta)
        for name, function in functions.items():
            if name != "floor":
                np.testing.assert_allclose(function(picked).numpy(), expected, rtol=1e-5,
                                           atol=1e-6, err_msg=name)
        timed = dict(functions, NumPy=lambda _: numpy_closest_to_median_mean(values, beta))
        ms = interleaved_medians(timed, picked, FLAGS.repeat)
        print(f"{d:>10,} | {ms['op']:>7.1f} | {ms['pure-TF']:>10.1f} | {ms['tf.sort']:>10.1f} | "
              f"{ms['NumPy']:>8.1f} | {ms['floor']:>8.1f} | {ms['op'] / ms['floor']:>7.1f}x | "
              f"{ms['pure-TF'] / ms['op']:>9.1f}x")

    if FLAGS.crossover:
        print("\nop algorithms, d=16,384, beta=3 and beta=theta//2: ms (quickselect/network)")
        for theta_x in (5, 11, 21, 41, 64, 128, 256, 512, 1024):
            x = tf.constant(rng.standard_normal((theta_x, 16_384)).astype(np.float32))
            cells = []
            for beta_x in (3, theta_x // 2):
                beta_x = min(beta_x, theta_x)
                ms = interleaved_medians({
                    method: (lambda m, b: lambda y: op(y, b, m))(method, beta_x)
                    for method in ("network", "quickselect")}, x, max(3, FLAGS.repeat // 3))
                cells.append(f"beta={beta_x}: {ms['network']:.2f} vs {ms['quickselect']:.2f}"
                             f" ({ms['quickselect'] / ms['network']:.1f}x)")
            print(f"theta={theta_x:>5}  " + "  ".join(cells))


if __name__ == "__main__":
    command_line.run(main, FLAGS, __doc__)
