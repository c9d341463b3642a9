"""The paper's models (section 5.1): sizes, initialisation, and the loss against a NumPy transcription."""

import numpy as np
import pytest
import tensorflow as tf

import models


def test_mnist_mlp_has_the_papers_79510_parameters():
    model = models.mnist_mlp()
    assert model.count_params() == 784 * 100 + 100 + 100 * 10 + 10 == 79510
    assert model(np.zeros((2, 28, 28, 1), np.float32)).shape == (2, 10)


def test_cifar10_cnn_has_the_documented_parameter_count():
    model = models.cifar10_cnn()
    conv1, conv2 = 3 * 3 * 3 * 16 + 16, 4 * 4 * 16 * 64 + 64
    dense = (8 * 8 * 64) * 384 + 384 + 384 * 192 + 192 + 192 * 10 + 10
    assert model.count_params() == conv1 + conv2 + dense == 1665994
    assert model(np.zeros((2, 32, 32, 3), np.float32)).shape == (2, 10)


def test_cifar10_cnn_pool_stride_is_the_other_reading_with_314314_parameters():
    """'same' padding, pool strides = pool sizes: 32 -> pool 3 -> ceil(32/3) = 11 -> pool 4 -> ceil(11/4) = 3."""
    model = models.get("cifar10_cnn_pool_stride")()
    conv1, conv2 = 3 * 3 * 3 * 16 + 16, 4 * 4 * 16 * 64 + 64
    dense = (3 * 3 * 64) * 384 + 384 + 384 * 192 + 192 + 192 * 10 + 10
    assert model.count_params() == conv1 + conv2 + dense == 314314
    assert models.parameter_count("cifar10_cnn_pool_stride") == 314314
    assert [tuple(layer.output.shape[1:]) for layer in model.layers[:4]] == [
        (32, 32, 16), (11, 11, 16), (11, 11, 64), (3, 3, 64)]
    assert model(np.zeros((2, 32, 32, 3), np.float32)).shape == (2, 10)
    assert "cifar10_cnn_pool_stride" in models.names()


def test_glorot_uniform_bounds_and_zero_biases():
    model = models.mnist_mlp()
    kernel, bias = (v.numpy() for v in model.trainable_variables[:2])
    limit = np.sqrt(6.0 / (784 + 100))
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit
    assert abs(kernel.std() - limit / np.sqrt(3)) < 0.01 * limit
    assert np.all(bias == 0)


def test_get_and_unknown_name():
    assert models.get("mnist_mlp") is models.mnist_mlp
    assert models.FOR_DATASET == {"mnist": "mnist_mlp", "cifar10": "cifar10_cnn"}
    with pytest.raises(ValueError, match="unknown model 'resnet'"):
        models.get("resnet")


def test_loss_is_cross_entropy_plus_l2_sum_of_squares():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(5, 10)).astype(np.float32)
    labels = rng.integers(0, 10, 5)
    params = [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=(4,)).astype(np.float32)]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    expected = -log_softmax[np.arange(5), labels].mean() + 1e-4 * sum((p.astype(np.float64) ** 2).sum()
                                                                      for p in params)
    got = models.loss_fn(tf.constant(logits), tf.constant(labels), [tf.constant(p) for p in params], 1e-4)
    assert got.numpy() == pytest.approx(expected, rel=1e-5)
    # A hand-computed case: two equal logits, no regularisation -> log 2.
    assert models.loss_fn(tf.zeros([1, 2]), tf.constant([1]), [], 0.0).numpy() == pytest.approx(np.log(2))
