"""Step time of one process against the gradient stage over 2 mirrored replicas, at the paper's sizes.

    python benchmarks/bench_distributed.py                 # MNIST MLP and CIFAR-10 CNN
    python benchmarks/bench_distributed.py --skip_cifar

Whole training steps (`training.step.make_train_step`): Krum under the lp attack, MNIST n=57, f=27,
batch 83 and CIFAR-10 n=39, f=18, batch 128 (section 5), so h = 30 and 21 honest gradients per step.
"single": strategy None; "mirrored x2": MirroredStrategy over 2 logical CPU devices of this host (or 2
GPUs), each replica computing ceil(h / 2) gradients before the all_gather. Medians of interleaved
repetitions, ms per step. Data: synthetic images of the real shapes (the speed does not depend on the
pixels).

Bytes each replica receives per step, from the shapes (float32): the all_gather brings the other replicas'
(R - 1) * s gradient rows of d values and their losses; on a multi-worker cluster the broadcast of the
chief's update (an all-reduce of d values, ring: 2 (R - 1) / R * d) comes on top.
"""

import os
import sys

from absl import flags

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from training import command_line  # noqa: E402

command_line.import_tensorflow_quietly()  # no TensorFlow INFO banners on stderr

from training import strategies  # noqa: E402

REPLICAS = 2

FLAGS = flags.FlagValues()
flags.DEFINE_bool("skip_mnist", False, "Skip the MNIST MLP.", flag_values=FLAGS)
flags.DEFINE_bool("skip_cifar", False, "Skip the CIFAR-10 CNN.", flag_values=FLAGS)
flags.DEFINE_integer("repeats", 5, "Timed repetitions, MNIST.", flag_values=FLAGS)
flags.DEFINE_integer("cifar_repeats", 3, "Timed repetitions, CIFAR-10.", flag_values=FLAGS)


def received_bytes(h, d, replicas):
    """(all_gather, multi-worker broadcast) bytes one replica receives per step."""
    share = -(-h // replicas)
    return (replicas - 1) * share * (d + 1) * 4, 2 * (replicas - 1) / replicas * d * 4


def bench(dataset, settings, strategy, repeats):
    import keras
    from bench_training import median_ms  # this script's folder is on sys.path

    import models
    import training
    from training import distributed, flat, gradients
    from training.step import honest_workers, make_train_step

    config = training.RunConfig(dataset=dataset.name, seed=1, attack="lp", gar="krum", **settings)
    steps = {}
    for label, chosen in (("single", None), (f"mirrored x{REPLICAS}", strategy)):
        keras.utils.set_random_seed(0)
        model = models.get(dataset.model)()
        params, step = distributed.create_variables(chosen, flat.flatten(model.trainable_variables))
        train_step, _ = make_train_step(config, model, dataset, params, step,
                                        gradients.DEFAULT_METHOD[dataset.model], chosen)
        steps[label] = lambda s=train_step: s()["train_loss"].numpy()
    d = int(params.shape[0])
    h = honest_workers(config)
    results = median_ms(steps, repeats)
    gather, broadcast = received_bytes(h, d, REPLICAS)
    print(f"\n{dataset.model}: d = {d:,}, n={config.n} f={config.f} batch {config.batch_size}, h = {h} honest "
          f"gradients per step, {repeats} repetitions")
    base = results["single"]
    for name, ms in results.items():
        print(f"  {name:<14} {ms:9.1f} ms/step   x{ms / base:.2f}")
    print(f"  received per replica per step: all_gather {gather / 2**20:.1f} MiB "
          f"(+ {broadcast / 2**20:.2f} MiB broadcast on a multi-worker cluster)")


def main(argv):
    import training

    # The strategy first: its logical CPU devices must exist before TensorFlow starts.
    strategy = strategies.create(training.RunConfig(strategy="mirrored", replicas=REPLICAS))
    import tensorflow as tf

    from training import datasets

    print(f"TensorFlow {tf.__version__}, replicas on {strategy.extended.worker_devices}, "
          f"{os.cpu_count()} CPU core(s)")
    if not FLAGS.skip_mnist:
        mnist = datasets.synthetic(train=60000, test=100, name="mnist")
        bench(mnist, dict(n=57, f=27, batch_size=83), strategy, FLAGS.repeats)
    if not FLAGS.skip_cifar:
        cifar = datasets.synthetic(train=50000, test=100, shape=(32, 32, 3), model="cifar10_cnn", name="cifar10")
        bench(cifar, dict(n=39, f=18, batch_size=128), strategy, FLAGS.cifar_repeats)


if __name__ == "__main__":
    command_line.run(main, FLAGS, __doc__)
