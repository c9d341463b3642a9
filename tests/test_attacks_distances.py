"""Closed-form distances from B(gamma) = mean + gamma E to the honest gradients (attacks.shifted_distances)."""

import math

import numpy as np
import pytest
import tensorflow as tf

from attacks.shifted_distances import norm_order, shift_statistics, shifted_distances

NORMS = [1, 2, math.inf]


def explicit_distances(honest, direction, gamma, p):
    """Plain NumPy: ||B(gamma) - V_i||_p for each row, straight from the definition."""
    b = honest.mean(axis=0) + gamma * direction
    return np.linalg.norm(b[None, :] - honest, ord=p, axis=1)


@pytest.mark.parametrize("p", NORMS)
@pytest.mark.parametrize("coordinate", [0, 5, None])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_closed_form_equals_definition(p, coordinate, dtype):
    rng = np.random.default_rng(3)
    honest = rng.normal(size=(7, 40)).astype(dtype)
    direction = np.ones(40, dtype) if coordinate is None else np.eye(40, dtype=dtype)[coordinate]
    centered = honest.mean(axis=0) - honest
    stats = shift_statistics(tf.constant(centered), p, coordinate)
    # gammas on both sides of every coordinate's value, exact zero, and huge
    for gamma in [0.0, 1e-3, 0.3, -0.7, 2.5, 17.0, 1e4]:
        got = shifted_distances(stats, gamma).numpy()
        assert got.dtype == dtype
        want = explicit_distances(honest.astype(np.float64), direction, gamma, p)
        np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-9)


def test_hand_computed():
    # honest rows (0, 0) and (2, 4): mean (1, 2); c_1 = (1, 2), c_2 = (-1, -2)
    centered = tf.constant([[1.0, 2.0], [-1.0, -2.0]])
    stats = shift_statistics(centered, 2, coordinate=0)
    np.testing.assert_allclose(shifted_distances(stats, 3.0).numpy(), [math.sqrt(16 + 4), math.sqrt(4 + 4)])
    stats = shift_statistics(centered, 1, coordinate=None)  # |c + 3|: (4 + 5), (2 + 1)
    np.testing.assert_allclose(shifted_distances(stats, 3.0).numpy(), [9.0, 3.0])
    stats = shift_statistics(centered, math.inf, coordinate=None)  # max |c + 3|
    np.testing.assert_allclose(shifted_distances(stats, 3.0).numpy(), [5.0, 2.0])


def test_non_finite_rows_are_infinitely_far():
    centered = np.zeros((3, 4), np.float32)
    centered[1, 2] = np.nan
    centered[2, 0] = np.inf
    for p in NORMS:
        for coordinate in (0, None):
            stats = shift_statistics(tf.constant(centered), p, coordinate)
            got = shifted_distances(stats, 1.0).numpy()
            assert got[0] == 1.0 or coordinate is None
            assert np.isinf(got[1]) and np.isinf(got[2])


def test_inside_tf_function():
    centered = tf.constant(np.random.default_rng(0).normal(size=(5, 9)), tf.float32)

    @tf.function
    def distances(gamma):
        return shifted_distances(shift_statistics(centered, 1, None), gamma)

    eager = shifted_distances(shift_statistics(centered, 1, None), tf.constant(0.4))
    np.testing.assert_allclose(distances(tf.constant(0.4)).numpy(), eager.numpy(), rtol=1e-6)


def test_norm_order():
    assert norm_order(2) == 2 and norm_order("1") == 1
    assert norm_order("inf") == math.inf and norm_order(math.inf) == math.inf
    with pytest.raises(ValueError, match="norm must be 1, 2 or 'inf', got norm=3"):
        norm_order(3)
