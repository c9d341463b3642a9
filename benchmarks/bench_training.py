"""Speed of the training engine, ms per step, medians of interleaved repetitions.

    python benchmarks/bench_training.py            # MNIST MLP, batch 83
    python benchmarks/bench_training.py --cifar    # also the CIFAR-10 CNN, batch 128 (slow on CPU)

(a) plain backprop of one loss on the union batch of the 30 honest workers: the floor;
(b) our per-worker gradients [30, d] for the same 30 workers, for each method of training.gradients;
(c) whole training steps (sampling, gradients, rule, update): Krum and Bulyan(Krum), no attack: all n
    workers are honest then, so n gradients are computed. (c') the same with an attack over the whole
    run (signflip, cheap), where only the n - f honest gradients are computed.
Ratios are to (a), all measured in this one run. Data: synthetic images of the real shapes (the speed
does not depend on the pixels).
(d) with --cifar: --precision=mixed_bfloat16 against float32 at Figure 3's settings (CIFAR-10 CNN, Krum,
    n=39, f=18 under the lp attack: 21 honest workers x 128 images): the gradient pass alone and whole
    training steps, the two precisions alternating, printed as the ratio float32 / mixed_bfloat16 (> 1:
    bfloat16 is faster; it needs bf16 hardware: AVX512_BF16 or AMX on CPU, Ampere or newer on GPU).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from training import command_line  # noqa: E402

command_line.import_tensorflow_quietly()  # no TensorFlow INFO banners on stderr
import tensorflow as tf  # noqa: E402

import numpy as np  # noqa: E402
from absl import flags  # noqa: E402

import keras  # noqa: E402
import models  # noqa: E402
import training  # noqa: E402
from training import datasets, flat, gradients  # noqa: E402
from training.step import make_train_step  # noqa: E402

FLAGS = flags.FlagValues()
flags.DEFINE_bool("cifar", False, "Also the CIFAR-10 CNN (seconds per step on CPU).", flag_values=FLAGS)
flags.DEFINE_bool("skip_mnist", False, "Skip the MNIST MLP.", flag_values=FLAGS)
flags.DEFINE_integer("repeats", 15, "Timed repetitions, MNIST.", flag_values=FLAGS)
flags.DEFINE_integer("cifar_repeats", 3, "Timed repetitions, CIFAR-10.", flag_values=FLAGS)
flags.DEFINE_enum("cifar_part", "all", ["all", "engine", "precision"], "With --cifar: the engine's "
                  "comparisons (a)-(c'), the precision comparison (d), or all.", flag_values=FLAGS)
flags.DEFINE_list("methods", list(gradients.METHODS), "Per-worker gradient methods, comma-separated "
                  "(training.gradients.METHODS).", flag_values=FLAGS)


def median_ms(functions, repeats):
    """Interleaves the calls so that machine load hits every candidate alike."""
    for function in functions.values():
        function()  # trace and warm up
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: 1e3 * float(np.median(values)) for name, values in times.items()}


def bench(dataset, batch, honest, steps_settings, repeats, methods):
    keras.utils.set_random_seed(0)
    model = models.get(dataset.model)()
    values = [tf.convert_to_tensor(v) for v in model.trainable_variables]
    d = sum(int(np.prod(v.shape)) for v in values)
    rng = np.random.default_rng(0)
    shape = dataset.train_images.shape[1:]
    images = dataset.normalise(rng.integers(0, 256, (honest, batch) + shape).astype(np.uint8))
    labels = tf.constant(rng.integers(0, 10, (honest, batch)).astype(np.int32))

    def sync(result):
        return result[0].numpy()

    floor = tf.function(lambda: gradients.union_gradient(model, values, images, labels, 1e-4))
    candidates = {"(a) union backprop": lambda: sync(floor())}
    for method in methods:
        fn = tf.function(lambda m=method: gradients.per_worker_gradients(model, values, images, labels, 1e-4, m))
        candidates[f"(b) per-worker, {method}"] = lambda fn=fn: sync(fn())
    for label, settings in steps_settings:
        config = training.RunConfig(dataset=dataset.name, batch_size=batch, seed=1, **settings)
        params = tf.Variable(flat.flatten(model.trainable_variables))
        step = tf.Variable(0, dtype=tf.int64)
        train_step, _ = make_train_step(config, model, dataset, params, step,
                                        gradients.DEFAULT_METHOD[dataset.model])
        candidates[label] = lambda s=train_step: s()["train_loss"].numpy()
    results = median_ms(candidates, repeats)
    base = results["(a) union backprop"]
    print(f"\n{dataset.model}: d = {d:,}, batch {batch}, {honest} honest workers, {repeats} repetitions")
    for name, ms in results.items():
        print(f"  {name:<44} {ms:9.1f} ms   x{ms / base:.2f}")


def bench_precision(dataset, batch, repeats):
    """(d): float32 against mixed_bfloat16 (`RunConfig.precision`) at Figure 3's Krum settings."""
    keras.utils.set_random_seed(0)
    model = models.get(dataset.model)()
    figure3 = dict(dataset=dataset.name, gar="krum", n=39, f=18, attack="lp", batch_size=batch, lr0=0.1,
                   lr_decay=2000, seed=1)
    honest = figure3["n"] - figure3["f"]
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (honest, batch) + dataset.train_images.shape[1:]).astype(np.uint8)
    images = dataset.normalise(pixels)
    labels = tf.constant(rng.integers(0, 10, (honest, batch)).astype(np.int32))
    values = [tf.convert_to_tensor(v) for v in model.trainable_variables]
    method = gradients.DEFAULT_METHOD[dataset.model]
    candidates = {}
    for precision in ("float32", "mixed_bfloat16"):
        compute_model = models.with_precision(model, precision)
        # Summed in the graph: copying the [21, d] gradients (140 MB) out to NumPy would be timed too.
        fn = tf.function(lambda m=compute_model: tf.reduce_sum(
            gradients.per_worker_gradients(m, values, images, labels, 1e-4, method)[0]))
        candidates[("gradients", precision)] = lambda fn=fn: fn().numpy()
        config = training.RunConfig(**figure3, precision=precision)
        params = tf.Variable(flat.flatten(model.trainable_variables))
        step = tf.Variable(0, dtype=tf.int64)
        train_step, _ = make_train_step(config, model, dataset, params, step, method)
        candidates[("step", precision)] = lambda s=train_step: s()["train_loss"].numpy()
    load_before = os.getloadavg()[0]
    results = median_ms(candidates, repeats)
    print(f"\n(d) precision at Figure 3's settings: {dataset.model}, krum n=39 f=18 lp ({honest} honest x {batch} "
          f"images), {repeats} repetitions, load average (1 min) {load_before:.2f} -> {os.getloadavg()[0]:.2f}")
    for part, label in (("gradients", "gradient pass [21, d]"), ("step", "whole training step")):
        single, mixed = results[(part, "float32")], results[(part, "mixed_bfloat16")]
        print(f"  {label:<22} float32 {single:8.1f} ms   mixed_bfloat16 {mixed:8.1f} ms   "
              f"float32 / mixed_bfloat16 = x{single / mixed:.2f}")


def main(argv):
    print(f"TensorFlow {tf.__version__}, devices: {[d.device_type for d in tf.config.list_logical_devices()]}")
    if not FLAGS.skip_mnist:
        mnist = datasets.synthetic(train=60000, test=100, name="mnist")
        bench(mnist, 83, 30, [
            ("(c) step krum n=57 f=27 (57 honest)", dict(gar="krum", n=57, f=27)),
            ("(c) step bulyan-krum n=39 f=9 (39 honest)", dict(gar="bulyan-krum", n=39, f=9)),
            ("(c') step krum n=57 f=27, signflip (30 h.)", dict(gar="krum", n=57, f=27, attack="signflip")),
            ("(c') step bulyan-krum n=39 f=9, signflip", dict(gar="bulyan-krum", n=39, f=9, attack="signflip")),
        ], FLAGS.repeats, FLAGS.methods)
    if FLAGS.cifar:
        cifar = datasets.synthetic(train=50000, test=100, shape=(32, 32, 3), model="cifar10_cnn", name="cifar10")
        if FLAGS.cifar_part in ("all", "engine"):
            bench(cifar, 128, 30, [
                ("(c) step krum n=39 f=18 (39 honest)", dict(gar="krum", n=39, f=18)),
                ("(c) step bulyan-krum n=39 f=9 (39 honest)", dict(gar="bulyan-krum", n=39, f=9)),
                ("(c') step bulyan-krum n=39 f=9, signflip",
                 dict(gar="bulyan-krum", n=39, f=9, attack="signflip")),
            ], FLAGS.cifar_repeats, FLAGS.methods)
        if FLAGS.cifar_part in ("all", "precision"):
            bench_precision(cifar, 128, FLAGS.cifar_repeats)


if __name__ == "__main__":
    command_line.run(main, FLAGS, __doc__)
