"""Whole Bulyan rules with the native coordinate stage against the pure-TensorFlow one, in one run.

`aggregators.aggregate("bulyan-*")` reaches Bulyan's coordinate stage through
`coordinatewise.closest_to_median_mean`, which uses the native op when `native.load()` returns it
and `closest_to_median_mean_tf` otherwise; BULYAN_NATIVE=1 / 0 forces either, read at each
eager call and, inside `tf.function`, when the function is traced. On small-integer inputs (exact
sums, many ties between the values closest to the median) with up to f rows of NaN, +-Inf or one
NaN coordinate, both paths must give the same output bit for bit, for bulyan-krum, bulyan-geomed
and bulyan-brute, theta odd and even, float32 and float64, eagerly and traced. (On Gaussian
floats the two sum the beta values in different orders: they agree to a rounding, checked too.)

Skipped only when the op is not built and BULYAN_NATIVE is not 1: under BULYAN_NATIVE=1 a
missing or broken op fails these tests.
"""

import os

import numpy as np
import pytest
import tensorflow as tf

import aggregators
import native
from aggregators import coordinatewise
from native import loader

pytestmark = pytest.mark.skipif(
    not loader.LIBRARY.exists() and os.environ.get("BULYAN_NATIVE", "").strip() != "1",
    reason=f"native op not built ({loader.LIBRARY.name} missing) and BULYAN_NATIVE is not 1")

DTYPES = [np.float32, np.float64]
# (rule, n, f): theta = n - 2f picks, beta = theta - 2f values averaged per coordinate.
SHAPES = [("bulyan-krum", 11, 2), ("bulyan-krum", 12, 2), ("bulyan-geomed", 11, 2),
          ("bulyan-geomed", 8, 1), ("bulyan-brute", 7, 1), ("bulyan-brute", 8, 1)]
HOSTILE = ["nan", "+inf", "-inf", "one-nan"]


@pytest.fixture
def path(monkeypatch):
    """path(native) -> a context setting BULYAN_NATIVE and checking which stage actually ran."""
    calls = []
    pure_tf = coordinatewise.closest_to_median_mean_tf

    def counted(picked, beta):
        calls.append(beta)
        return pure_tf(picked, beta)

    monkeypatch.setattr(coordinatewise, "closest_to_median_mean_tf", counted)

    class Path:
        def __init__(self, use_native):
            self.use_native = use_native

        def __enter__(self):
            monkeypatch.setenv("BULYAN_NATIVE", "1" if self.use_native else "0")
            assert (native.load() is not None) == self.use_native
            calls.clear()

        def __exit__(self, *exc):
            if exc[0] is None:
                assert bool(calls) != self.use_native, "the other coordinate stage ran"

    return Path


def hostile_inputs(n, f, d, dtype, seed):
    """Integers in [-3, 3] (ties everywhere, exact sums), then up to f hostile rows at random
    positions (always f for seeds >= 1)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=(n, d)).astype(dtype)
    x[:, : d // 4] += 0.5  # half-integers: still exact, ties between x - 0.5 and x + 0.5
    rows = rng.choice(n, size=f if seed else rng.integers(0, f + 1), replace=False)
    for row, kind in zip(rows, rng.choice(HOSTILE, size=len(rows))):
        if kind == "one-nan":
            x[row, rng.integers(d)] = np.nan
        else:
            x[row] = {"nan": np.nan, "+inf": np.inf, "-inf": -np.inf}[kind]
    return x


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rule, n, f", SHAPES)
def test_native_and_pure_tf_bulyan_are_bit_identical(rule, n, f, dtype, path):
    for seed in range(2):
        x = hostile_inputs(n, f, 64, dtype, seed=100 * n + seed)
        with path(True):
            with_op = aggregators.aggregate(rule, x, f).numpy()
        with path(False):
            without = aggregators.aggregate(rule, x, f).numpy()
        assert with_op.dtype == without.dtype == dtype
        assert np.all(np.isfinite(with_op)), (rule, seed)
        np.testing.assert_array_equal(with_op, without, err_msg=f"{rule} seed {seed}")


@pytest.mark.parametrize("rule, n, f", [
    ("bulyan-krum", 8, 1),  # beta = 4: dividing by 4 and multiplying by 1/4 agree
    # beta = 3 (as at the paper's n = 39, f = 9): Grappler used to rewrite the traced division by the
    # constant beta into a product with 1/beta, one rounding off (3.5 / 3 -> 1.1666667, not 1.1666666)
    ("bulyan-brute", 7, 1),
])
def test_native_and_pure_tf_bulyan_traced_are_bit_identical(rule, n, f, path):
    x = hostile_inputs(n, f, 48, np.float32, seed=1)
    outputs = []
    for use_native in (True, False):
        with path(use_native):  # read when tracing: a new tf.function per path
            graph = tf.function(lambda g: aggregators.aggregate(rule, g, f))
            outputs.append(graph(tf.constant(x)).numpy())
    np.testing.assert_array_equal(outputs[0], outputs[1])
    with path(False):
        np.testing.assert_array_equal(aggregators.aggregate(rule, x, f).numpy(), outputs[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_native_and_pure_tf_bulyan_agree_to_a_rounding_on_gaussian_rows(dtype, path):
    # n = 12, f = 2: theta = 8 (even: the lower middle value), beta = 4 values summed in another
    # order: the outputs differ by at most a few roundings of a partial sum, each at most
    # eps * 4 max |x|.
    x = np.random.default_rng(3).standard_normal((12, 200)).astype(dtype)
    with path(True):
        with_op = aggregators.aggregate("bulyan-krum", x, 2).numpy()
    with path(False):
        without = aggregators.aggregate("bulyan-krum", x, 2).numpy()
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(with_op, without, rtol=0, atol=4 * eps * 4 * np.abs(x).max())
