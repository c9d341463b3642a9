"""The native ClosestToMedianMean op against a NumPy transcription of Bulyan's
coordinate-wise stage (paper section 4), hand-computed cases, and the pure-TF path."""

import os

import numpy as np
import pytest
import tensorflow as tf

import native
from aggregators import coordinatewise
from native import loader

# Under BULYAN_NATIVE=1 (CI) a missing library fails the `op` fixture instead of skipping.
pytestmark = pytest.mark.skipif(
    not loader.LIBRARY.exists() and os.environ.get("BULYAN_NATIVE", "").strip() != "1",
    reason=f"native op not built ({loader.LIBRARY.name} missing): run "
           "`pip install --no-build-isolation --no-deps -e .` or `python -m native.build`")

METHODS = ("network", "quickselect")


@pytest.fixture(scope="module")
def op():
    """The op's Python function; a library that exists but does not load fails the tests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BULYAN_NATIVE", "1")
        return native.load()


def reference(picked, beta):
    """NumPy transcription: per column, NaN read as +Inf, median = sorted[m], m = (theta - 1) // 2;
    the beta values with the smallest |x - median| (equal values at distance 0), ties going to
    the value below the median, then to the one nearer the median in sorted order (so the chosen
    values form a window of the sorted column); their mean in float64."""
    values = np.where(np.isnan(picked), np.inf, picked).astype(np.float64)
    theta = values.shape[0]
    middle = (theta - 1) // 2
    position = np.arange(theta)
    out = np.empty(values.shape[1])
    for column in range(values.shape[1]):
        ordered = np.sort(values[:, column])
        median = ordered[middle]
        with np.errstate(invalid="ignore"):
            distance = np.where(ordered == median, 0.0, np.abs(ordered - median))
        above = position > middle
        rank = np.lexsort((np.abs(position - middle), above, distance))
        with np.errstate(invalid="ignore"):
            out[column] = ordered[rank[:beta]].mean()
    return out


def hostile_integers(rng, theta, d, dtype):
    """Small integers (many exact ties) with NaN, +Inf and -Inf sprinkled everywhere."""
    values = rng.integers(-3, 4, size=(theta, d)).astype(dtype)
    for bad in (np.nan, np.inf, -np.inf):
        values[rng.random(values.shape) < 0.07] = bad
    return values


CASES = [(theta, beta) for theta in (1, 2, 3, 4, 5, 6, 7, 8, 11, 20, 21, 22, 33)
         for beta in sorted({1, 2, (theta + 1) // 2, theta - 1, theta}) if 1 <= beta <= theta]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("theta,beta", CASES)
def test_exact_on_integers_with_ties_nan_and_inf(op, theta, beta, dtype):
    rng = np.random.default_rng(1000 * theta + beta)
    picked = hostile_integers(rng, theta, 300, dtype)
    expected = reference(picked, beta).astype(dtype)
    for method in METHODS:
        got = op(picked, beta, method).numpy()
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, expected, err_msg=f"method={method}")


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 2e-6), (np.float64, 1e-13)])
@pytest.mark.parametrize("theta,beta", [(21, 3), (22, 4), (9, 5), (70, 13)])
def test_close_on_random_floats(op, theta, beta, dtype, rtol):
    picked = np.random.default_rng(theta).standard_normal((theta, 1000)).astype(dtype)
    expected = reference(picked, beta)
    network = op(picked, beta, "network").numpy()
    np.testing.assert_allclose(network, expected, rtol=rtol, atol=rtol)
    # Both algorithms sum the same values in the same order: bit-identical.
    np.testing.assert_array_equal(op(picked, beta, "quickselect").numpy(), network)
    np.testing.assert_array_equal(op(picked, beta).numpy(), network)


def test_hand_computed_cases(op):
    column = np.array([[1.0], [2.0], [10.0], [3.0], [4.0]])  # sorted 1 2 3 4 10, median 3
    assert op(column, 1).numpy().tolist() == [3.0]
    assert op(column, 2).numpy().tolist() == [2.5]  # 2 and 4 tie at distance 1: the lower one
    assert op(column, 3).numpy().tolist() == [3.0]  # 2, 3, 4
    assert op(column, 4).numpy().tolist() == [2.5]  # 1, 2, 3, 4
    assert op(column, 5).numpy().tolist() == [4.0]
    even = np.array([[4.0], [1.0], [3.0], [2.0]])  # lower middle value: 2
    assert op(even, 1).numpy().tolist() == [2.0]
    assert op(even, 2).numpy().tolist() == [1.5]  # 1 and 3 tie: the lower one
    with_nan = np.array([[np.nan], [1.0], [2.0]], np.float32)  # NaN ordered as +Inf
    assert op(with_nan, 2).numpy().tolist() == [1.5]
    assert op(with_nan, 3).numpy().tolist() == [np.inf]
    two_columns = np.array([[0.0, 5.0], [1.0, -5.0], [9.0, 6.0]])
    assert op(two_columns, 2).numpy().tolist() == [0.5, 5.5]


def test_d_one_and_beta_equal_theta(op):
    picked = np.array([[3.0], [-1.0], [7.0], [2.0]], np.float32)
    np.testing.assert_allclose(op(picked, 4).numpy(), [2.75])
    np.testing.assert_array_equal(op(np.zeros((5, 0), np.float32), 2).numpy(), np.zeros(0))
    wide = np.random.default_rng(0).standard_normal((6, 517))
    np.testing.assert_allclose(op(wide, 6).numpy(), wide.mean(axis=0), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e30])
def test_at_most_f_byzantine_rows_never_reach_the_output(op, dtype, bad):
    f, beta = 3, 5
    theta = beta + 2 * f
    rng = np.random.default_rng(7)
    honest = rng.standard_normal((theta - f, 257)).astype(dtype)
    picked = np.concatenate([honest, np.full((f, 257), bad, dtype)])
    picked = picked[rng.permutation(theta)]
    for method in METHODS:
        got = op(picked, beta, method).numpy()
        assert np.all(np.isfinite(got))
        assert np.all(got >= honest.min(axis=0)) and np.all(got <= honest.max(axis=0))


def test_huge_finite_values_do_not_overflow(op):
    big64 = np.full((3, 2), 1.5e308)
    np.testing.assert_array_equal(op(big64, 3).numpy(), big64[0])
    big32 = np.full((3, 2), 3e38, np.float32)
    np.testing.assert_array_equal(op(big32, 3).numpy(), big32[0])


def test_inside_tf_function_with_unknown_shape(op):
    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
    def stage(picked):
        return op(picked, 3)

    picked = np.random.default_rng(3).standard_normal((21, 300)).astype(np.float32)
    np.testing.assert_array_equal(stage(picked).numpy(), op(picked, 3).numpy())
    assert stage.get_concrete_function().structured_outputs.shape.as_list() == [None]

    @tf.function
    def static_stage(picked):
        return op(picked, 3)

    assert static_stage.get_concrete_function(
        tf.TensorSpec([21, 300], tf.float64)).structured_outputs.shape.as_list() == [300]


def test_no_gradient(op):
    picked = tf.Variable(np.random.default_rng(4).standard_normal((5, 3)))
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(op(picked, 3))
    assert tape.gradient(total, picked) is None


ERRORS = (tf.errors.InvalidArgumentError, ValueError)


def test_invalid_arguments_raise(op):
    picked = np.zeros((5, 4), np.float32)
    with pytest.raises(ValueError, match="beta >= 1"):
        op(picked, 0)
    with pytest.raises(ValueError, match="integer beta"):
        op(picked, 2.5)
    with pytest.raises(ERRORS, match="beta <= theta"):
        op(picked, 6)
    with pytest.raises(ERRORS, match="rank 2"):
        op(np.zeros(4, np.float32), 1)
    with pytest.raises(ERRORS, match="rank 2"):
        op(np.zeros((2, 3, 4), np.float32), 1)
    with pytest.raises(ERRORS, match="theta >= 1"):
        op(np.zeros((0, 4), np.float32), 1)
    with pytest.raises(ValueError, match="method"):
        op(picked, 1, "sort")
    with pytest.raises((TypeError, tf.errors.InvalidArgumentError, tf.errors.NotFoundError)):
        op(np.zeros((5, 4), np.int32), 1)


def test_invalid_beta_at_run_time_raises_from_the_kernel(op):
    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float64)])
    def stage(picked):
        return op(picked, 4)

    with pytest.raises(tf.errors.InvalidArgumentError, match="beta <= theta"):
        stage(np.zeros((3, 2)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="theta >= 1"):
        stage(np.zeros((0, 2)))


def finite_median_inputs(rng, theta, d, dtype):
    """Hostile values in at most (theta - 1) // 2 rows per column, so every median is finite."""
    values = rng.integers(-4, 5, size=(theta, d)).astype(dtype)
    values += rng.standard_normal((theta, d)).astype(dtype) * (rng.random((theta, d)) < 0.5)
    for column in range(d):
        rows = rng.choice(theta, size=rng.integers(0, (theta - 1) // 2 + 1), replace=False)
        values[rows, column] = rng.choice([np.nan, np.inf, -np.inf, 1e30], size=len(rows))
    return values


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("theta,beta", [(1, 1), (3, 1), (4, 2), (7, 3), (11, 3), (21, 3), (22, 10)])
def test_equals_the_pure_tf_path(op, theta, beta, dtype):
    picked = finite_median_inputs(np.random.default_rng(theta * beta), theta, 200, dtype)
    pure_tf = coordinatewise.closest_to_median_mean_tf(tf.constant(picked), beta).numpy()
    np.testing.assert_allclose(op(picked, beta).numpy(), pure_tf,
                               rtol=1e-6 if dtype == np.float32 else 1e-14)
