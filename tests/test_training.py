"""Per-worker gradients and one training step, against independent computations."""

import numpy as np
import pytest
import tensorflow as tf

import keras
import models
import training
from training import datasets, flat, sampling
from training.gradients import METHODS, per_worker_gradients, union_gradient
from training.schedule import learning_rate
from training.step import make_train_step

L2 = 1e-4


def _numpy_mlp_gradient(params, images, labels, l2):
    """Backprop of 784-100(ReLU)-10 + softmax cross-entropy + l2 |x|^2, by hand, in float64."""
    w1, b1, w2, b2 = (p.astype(np.float64) for p in params)
    x = images.reshape(len(images), -1).astype(np.float64)
    pre = x @ w1 + b1
    hidden = np.maximum(pre, 0)
    logits = hidden @ w2 + b2
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    delta = probs.copy()
    delta[np.arange(len(labels)), labels] -= 1
    delta /= len(labels)
    d_hidden = (delta @ w2.T) * (pre > 0)
    grads = [x.T @ d_hidden, d_hidden.sum(0), hidden.T @ delta, delta.sum(0)]
    return np.concatenate([(g + 2 * l2 * p).ravel() for g, p in zip(grads, (w1, b1, w2, b2))])


@pytest.fixture(scope="module")
def mlp():
    keras.utils.set_random_seed(0)
    model = models.mnist_mlp()
    values = [tf.convert_to_tensor(v) for v in model.trainable_variables]
    rng = np.random.default_rng(1)
    images = rng.random((4, 6, 28, 28, 1)).astype(np.float32)
    labels = rng.integers(0, 10, (4, 6)).astype(np.int32)
    return model, values, images, labels


@pytest.mark.parametrize("method", METHODS)
def test_per_worker_gradients_equal_a_loop_over_workers(mlp, method):
    model, values, images, labels = mlp
    got, losses = tf.function(lambda: per_worker_gradients(model, values, tf.constant(images),
                                                           tf.constant(labels), L2, method))()
    assert got.shape == (4, 79510) and losses.shape == (4,)
    for worker in range(4):  # an eager Keras tape per worker
        with tf.GradientTape() as tape:
            logits = model(images[worker])
            loss = models.loss_fn(logits, labels[worker], model.trainable_variables, L2)
        expected = flat.flatten(tape.gradient(loss, model.trainable_variables)).numpy()
        np.testing.assert_allclose(got[worker].numpy(), expected, rtol=1e-4, atol=1e-6)
        assert losses[worker].numpy() == pytest.approx(loss.numpy(), rel=1e-5)
        by_hand = _numpy_mlp_gradient([v.numpy() for v in values], images[worker], labels[worker], L2)
        np.testing.assert_allclose(got[worker].numpy(), by_hand, rtol=1e-3, atol=1e-6)


def test_union_gradient_is_the_mean_of_equal_sized_workers(mlp):
    model, values, images, labels = mlp
    per_worker, _ = per_worker_gradients(model, values, tf.constant(images), tf.constant(labels), L2, "loop")
    union, _ = union_gradient(model, values, tf.constant(images), tf.constant(labels), L2)
    np.testing.assert_allclose(union.numpy(), per_worker.numpy().mean(0), rtol=1e-4, atol=1e-7)


def test_unknown_method_raises(mlp):
    model, values, images, labels = mlp
    with pytest.raises(ValueError, match="method must be one of"):
        per_worker_gradients(model, values, images, labels, L2, "magic")


def test_flatten_round_trip():
    parts = [tf.reshape(tf.range(6.0), [2, 3]), tf.constant([6.0]), tf.reshape(tf.range(7.0, 11.0), [2, 2])]
    x = flat.flatten(parts)
    np.testing.assert_array_equal(x.numpy(), np.arange(11.0))
    for a, b in zip(flat.unflatten(x, [p.shape for p in parts]), parts):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    rows = flat.flatten_rows([tf.ones([3, 2, 2]), tf.zeros([3, 1])], 3)
    np.testing.assert_array_equal(rows.numpy(), [[1, 1, 1, 1, 0]] * 3)


def test_learning_rate_fades_as_in_section_5_1():
    assert learning_rate(1.0, 10000, 0).numpy() == pytest.approx(1.0)
    assert learning_rate(0.5, 2000, 2000).numpy() == pytest.approx(0.25)
    assert learning_rate(1.0, 10000, tf.constant(30000, tf.int64)).numpy() == pytest.approx(0.25)


def test_average_step_with_f0_is_plain_sgd_on_the_union_batch():
    data = datasets.synthetic(train=64, test=16)
    config = training.RunConfig(dataset="synthetic", gar="average", n=3, f=0, batch_size=5, lr0=0.7,
                                lr_decay=10, seed=4)
    keras.utils.set_random_seed(0)
    model = models.mnist_mlp()
    x0 = flat.flatten(model.trainable_variables).numpy()
    params = tf.Variable(x0)
    step = tf.Variable(3, dtype=tf.int64)  # the 4th step: eta = 0.7 * 10 / 13
    train_step, names = make_train_step(config, model, data, params, step, "vmap_tape")
    out = train_step()
    assert names == [] and bool(out["finite"]) and int(step.numpy()) == 4
    indices = sampling.sample_indices(4, 3, 3, 5, 64).numpy().ravel()  # the same sampled examples
    union_x = data.train_images[indices].astype(np.float32) / 255.0
    union_y = data.train_labels[indices]
    with tf.GradientTape() as tape:  # plain Keras SGD on the union batch
        loss = models.loss_fn(model(union_x), union_y, model.trainable_variables, config.l2)
    gradient = flat.flatten(tape.gradient(loss, model.trainable_variables)).numpy()
    lr = 0.7 * 10 / 13
    assert out["lr"].numpy() == pytest.approx(lr)
    np.testing.assert_allclose(params.numpy(), x0 - lr * gradient, rtol=1e-5, atol=1e-7)
    assert out["train_loss"].numpy() == pytest.approx(loss.numpy(), rel=1e-5)
