"""The honest gradients of the leeway study (appendix B): synthetic Gaussian ones and real MNIST ones.

- "iid": v_k^(i) ~ N(0, sigma^2), sigma = 1, the assumption of appendix B.1 with equal sigma_k.
- "hetero": v_k^(i) ~ N(0, sigma_k^2) with log-normal sigma_k = exp(SPREAD z_k), z_k ~ N(0, 1)
  (appendix B.1 allows a sigma_k per coordinate; with SPREAD = 1 the root mean square of the sigma_k
  is e^0.5 = 1.65 times their mean).
- "mnist-init", "mnist-trained": per-worker gradients of the MNIST MLP (section 5.1: batch 83, l2
  1e-4) at the initial parameters of seed 1 and after `steps` steps of averaged SGD with the paper's
  eta0 = 1, r_eta = 10000 (`training`'s sampling, schedule and gradients). A study at dimension d
  keeps d of the 79,510 coordinates: the attacked one (the last parameter, `lp`'s default) and
  d - 1 others drawn at random. The attacked coordinate is column 0 of every matrix returned here.
"""

import numpy as np
import tensorflow as tf

SYNTHETIC = ("iid", "hetero")
SPREAD = 1.0
MNIST_BATCH = 83
MNIST_L2 = 1e-4
MNIST_LR0, MNIST_LR_DECAY = 1.0, 10000.0


def synthetic(source, rows, d, rng):
    """[rows, d] float32 honest gradients of `source` ("iid" or "hetero"), and the sigma_k [d]."""
    if source == "iid":
        sigma = np.ones(d)
    elif source == "hetero":
        sigma = np.exp(SPREAD * rng.standard_normal(d))
    else:
        raise ValueError(f"synthetic source must be one of {', '.join(SYNTHETIC)}, got {source!r}")
    values = rng.standard_normal((rows, d), dtype=np.float32)
    if source == "hetero":
        values *= sigma.astype(np.float32)
    return values, sigma


class MnistPool:
    """Per-worker MNIST MLP gradients at one parameter vector: `rows` workers, each a batch of 83."""

    def __init__(self, gradients, state):
        self.gradients = gradients  # [workers, 79510] float32, the attacked coordinate last
        self.state = state  # "init" or "trained"

    @property
    def dimension(self):
        return self.gradients.shape[1]

    def draw(self, rows, d, rng):
        """[rows, d]: `rows` distinct workers, the attacked (last) coordinate first and d - 1 others."""
        workers = rng.choice(self.gradients.shape[0], size=rows, replace=False)
        full = self.dimension
        if d > full:
            raise ValueError(f"MNIST gradients have d = {full} coordinates, got d={d}")
        others = rng.choice(full - 1, size=d - 1, replace=False) if d < full else np.arange(full - 1)
        columns = np.concatenate([[full - 1], others])
        return self.gradients[np.ix_(workers, columns)]


def mnist_pools(data_dir, steps, workers, seed=1):
    """{"init": MnistPool, "trained": MnistPool}: `workers` per-worker gradients before and after
    `steps` steps of averaged SGD (30 workers of 83 images each, as Figure 2's Average)."""
    import keras

    import models
    from training import datasets, flat, gradients, sampling, schedule

    keras.utils.set_random_seed(seed)
    dataset = datasets.load("mnist", data_dir)
    model = models.get(dataset.model)()
    shapes = [v.shape for v in model.trainable_variables]
    params = tf.Variable(flat.flatten(model.trainable_variables))
    images = tf.convert_to_tensor(dataset.train_images)
    labels = tf.convert_to_tensor(dataset.train_labels)
    population = int(images.shape[0])

    def batches(step, count):
        indices = sampling.sample_indices(seed, step, count, MNIST_BATCH, population)
        return dataset.normalise(tf.gather(images, indices)), tf.gather(labels, indices)

    @tf.function
    def train_step(step):
        x, y = batches(step, 30)
        gradient, _ = gradients.union_gradient(model, flat.unflatten(params, shapes), x, y, MNIST_L2)
        params.assign_sub(schedule.learning_rate(MNIST_LR0, MNIST_LR_DECAY, step) * gradient)

    chunk = 8

    @tf.function
    def worker_gradients(step):
        x, y = batches(step, chunk)
        rows, _ = gradients.per_worker_gradients(model, flat.unflatten(params, shapes), x, y, MNIST_L2,
                                                 method="loop")
        return rows

    def pool(state):
        # sampling steps far from the training ones, so the pool's batches are fresh draws
        parts = [worker_gradients(tf.constant(10 ** 6 + k, tf.int64)).numpy()
                 for k in range(-(-workers // chunk))]
        return MnistPool(np.concatenate(parts)[:workers], state)

    pools = {"init": pool("init")}
    for step in range(steps):
        train_step(tf.constant(step, tf.int64))
    pools["trained"] = pool("trained")
    return pools
