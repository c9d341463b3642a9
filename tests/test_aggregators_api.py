"""The public contract: registry, rule objects, argument errors, the `distances` option, pairwise
distances, and the coordinate-wise stage shared with the native op."""

import math

import numpy as np
import pytest
import tensorflow as tf

import aggregators
import native
import test_aggregators_reference as reference
from aggregators import coordinatewise, distances as distances_module, sorting

ISSUE_NAMES = ["average", "brute", "krum", "geomed", "bulyan-krum", "bulyan-geomed",
               "bulyan-brute", "bulyan", "median", "trimmed-mean", "multi-krum", "meamed",
               "phocas", "geometric-median", "centered-clipping"]
MIN_WORKERS_F3 = {"average": 4, "brute": 7, "krum": 9, "geomed": 7, "bulyan-krum": 15,
                  "bulyan-geomed": 15, "bulyan-brute": 15, "bulyan": 15, "median": 7,
                  "trimmed-mean": 7, "multi-krum": 9, "meamed": 7, "phocas": 7,
                  "geometric-median": 7, "centered-clipping": 7}
SELECTING = {"krum", "geomed", "brute", "multi-krum"}


def rows(n, d=4, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal((n, d)).astype(dtype)


def test_names_and_rule_attributes():
    project = [name for name in aggregators.names() if not name.startswith("test-")]  # tests register these
    assert sorted(project) == sorted(ISSUE_NAMES)
    for name in ISSUE_NAMES:
        rule = aggregators.get(name)
        assert rule.min_workers(3) == MIN_WORKERS_F3[name], name
        assert rule.selects == (name in SELECTING), name
        assert isinstance(rule.source, str) and len(rule.source) > 20


def test_unknown_name_lists_known_ones():
    with pytest.raises(ValueError, match=r"unknown aggregation rule 'kurm'.*known rules: .*krum"):
        aggregators.get("kurm")
    with pytest.raises(ValueError, match="unknown aggregation rule"):
        aggregators.aggregate("nope", rows(5), 1)


@pytest.mark.parametrize("name,n,f,message", [
    ("bulyan-krum", 10, 3, r"bulyan-krum needs n >= 4f\+3, got n=10, f=3"),
    ("krum", 6, 2, r"krum needs n >= 2f\+3, got n=6, f=2"),
    ("geomed", 4, 2, r"geomed needs n >= 2f\+1, got n=4, f=2"),
    ("median", 2, 1, r"median needs n >= 2f\+1, got n=2, f=1"),
    ("average", 2, 2, r"average needs n >= f\+1, got n=2, f=2"),
])
def test_too_few_workers(name, n, f, message):
    with pytest.raises(ValueError, match=message):
        aggregators.aggregate(name, rows(n), f)


@pytest.mark.parametrize("f,message", [
    (-1, r"krum needs f >= 0, got f=-1"),
    (1.0, r"krum needs f as a Python int >= 0, got f=1.0"),
    (True, r"krum needs f as a Python int >= 0, got f=True"),
])
def test_bad_f(f, message):
    with pytest.raises(ValueError, match=message):
        aggregators.aggregate("krum", rows(9), f)
    with pytest.raises(ValueError, match=message):
        aggregators.get("krum").min_workers(f)


def test_bad_gradients():
    with pytest.raises(ValueError, match=r"median needs gradients of shape \[n, d\] \(2-D\), "
                                         r"got shape \(5,\)"):
        aggregators.aggregate("median", np.zeros(5, np.float32), 1)
    with pytest.raises(ValueError, match=r"median needs d >= 1 coordinates, got shape \(5, 0\)"):
        aggregators.aggregate("median", np.zeros((5, 0), np.float32), 1)
    with pytest.raises(ValueError, match="median needs float32 or float64 gradients, got int64"):
        aggregators.aggregate("median", np.zeros((5, 2), np.int64), 1)
    with pytest.raises(ValueError, match="krum needs a static number of workers n"):
        tf.function(lambda g: aggregators.aggregate("krum", g, 1)).get_concrete_function(
            tf.TensorSpec([None, 3], tf.float32))


def test_options_are_checked_by_name_and_value():
    with pytest.raises(ValueError, match=r"krum has no option 'nrom'; its options: distances, "
                                         r"norm"):
        aggregators.aggregate("krum", rows(9), 1, nrom=2)
    with pytest.raises(ValueError, match=r"median has no option 'norm'; its options: none"):
        aggregators.aggregate("median", rows(9), 1, norm=2)
    with pytest.raises(ValueError, match=r"geomed needs norm in \(1, 2, 'inf', math.inf\), "
                                         r"got norm=3"):
        aggregators.aggregate("geomed", rows(9), 1, norm=3)
    with pytest.raises(ValueError, match=r"multi-krum needs 1 <= m <= n-f, got m=9, n=9, f=1"):
        aggregators.aggregate("multi-krum", rows(9), 1, m=9)
    with pytest.raises(ValueError, match=r"multi-krum needs m as an int >= 1, got m=0"):
        aggregators.aggregate("multi-krum", rows(9), 1, m=0)
    with pytest.raises(ValueError, match=r"centered-clipping needs tau as a finite number > 0"):
        aggregators.aggregate("centered-clipping", rows(9), 1, tau=-1.0)
    with pytest.raises(ValueError, match=r"geometric-median needs iterations as an int >= 1"):
        aggregators.aggregate("geometric-median", rows(9), 1, iterations=0)
    with pytest.raises(ValueError, match=r"bulyan-geomed needs distances of shape \[7, 7\]"):
        aggregators.aggregate("bulyan-geomed", rows(7), 1, distances=np.zeros((6, 6)))
    for norm in (1, 2, "inf", math.inf, 2.0, "INF"):
        aggregators.aggregate("krum", rows(9), 1, norm=norm)


def test_brute_refuses_past_its_bound():
    with pytest.raises(ValueError, match=r"brute would search C\(n, f\) = C\(24, 9\) = 1307504 "
                                         r"subsets, more than its bound of 100000"):
        aggregators.aggregate("brute", rows(24, 2), 9)
    with pytest.raises(ValueError, match=r"bulyan-brute would search C\(n, f\) = C\(39, 9\)"):
        aggregators.aggregate("bulyan-brute", rows(39, 2), 9)


def test_selection_only_for_selecting_rules():
    with pytest.raises(ValueError, match="median does not select submissions"):
        aggregators.get("median").select(rows(5), 1)
    with pytest.raises(ValueError, match="bulyan-krum does not select submissions"):
        aggregators.get("bulyan-krum").select_from_distances(np.zeros((7, 7)), 1)


@pytest.mark.parametrize("name", sorted(aggregators.names()))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_is_a_tensor_in_the_input_dtype(name, dtype):
    x = rows(11, 3, dtype)
    expected = reference.RULES[name](x, 2)  # the NumPy transcription, in float64
    tolerance = dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for gradients in (x, tf.constant(x)):
        out = aggregators.aggregate(name, gradients, 2)
        assert isinstance(out, tf.Tensor) and out.dtype == tf.as_dtype(dtype) and out.shape == (3,)
        np.testing.assert_allclose(out.numpy(), expected, **tolerance, err_msg=name)


@pytest.mark.parametrize("norm", [1, 2, "inf"])
@pytest.mark.parametrize("name", ["krum", "geomed", "brute", "multi-krum", "bulyan-krum",
                                  "bulyan-geomed", "bulyan-brute"])
def test_distances_option_gives_the_same_output(name, norm):
    x = rows(11, 5, np.float64, seed=4)
    given = aggregators.pairwise_distances(x, norm)
    np.testing.assert_array_equal(aggregators.aggregate(name, x, 2, norm=norm).numpy(),
                                  aggregators.aggregate(name, x, 2, norm=norm,
                                                        distances=given).numpy())
    rule = aggregators.get(name)
    if rule.selects:
        np.testing.assert_array_equal(rule.select(x, 2, norm=norm).numpy(),
                                      rule.select_from_distances(given, 2, norm=norm).numpy())


def test_distances_option_is_what_the_rule_reads():
    """With made-up distances Krum follows them, not the gradients."""
    x = rows(5, 2)
    made_up = np.ones((5, 5)) - np.eye(5)
    made_up[3, 4] = made_up[4, 3] = 0.5
    assert aggregators.get("krum").select_from_distances(made_up, 1).numpy().tolist() == [3]
    np.testing.assert_array_equal(aggregators.aggregate("krum", x, 1, distances=made_up), x[3])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm", [1, 2, math.inf])
def test_pairwise_distances_match_numpy(norm, dtype):
    x = rows(9, 13, dtype, seed=1) * 5 + 2
    x[2] = x[5]  # a duplicate: distance exactly 0
    out = aggregators.pairwise_distances(x, norm).numpy()
    assert out.dtype == dtype
    np.testing.assert_allclose(out, reference.distances(x, norm), rtol=1e-5 if dtype == np.float32
                               else 1e-12, atol=1e-4 if dtype == np.float32 else 1e-12)
    np.testing.assert_array_equal(out, out.T)
    np.testing.assert_array_equal(np.diag(out), 0)
    # The duplicate rows 2 and 5: at distance 0 from each other and equally far from every row,
    # exactly for l1 and l_inf; for l2 (Gram route) up to the documented sqrt(eps) ||V_i||.
    slack = 0.0 if norm != 2 else np.sqrt(np.finfo(dtype).eps) * np.linalg.norm(x[2])
    assert out[2, 5] <= slack
    np.testing.assert_allclose(out[2], out[5], rtol=0, atol=slack)


def test_pairwise_distances_inside_tf_function_and_float64_gram(monkeypatch):
    x = rows(6, 7, np.float32, seed=2)
    eager = aggregators.pairwise_distances(x).numpy()
    graph = tf.function(aggregators.pairwise_distances)(tf.constant(x)).numpy()
    np.testing.assert_array_equal(graph, eager)
    monkeypatch.setattr(distances_module, "_gram_needs_float64", lambda dtype: True)
    via_float64 = aggregators.pairwise_distances(x).numpy()
    assert via_float64.dtype == np.float32
    np.testing.assert_allclose(via_float64, reference.distances(x), rtol=1e-6)


@pytest.mark.parametrize("norm", [1, "inf"])
def test_compiled_l1_linf_distances_equal_plain_tensorflow(norm):
    """The XLA-compiled distances give the plain graph's matrix (exactly for l_inf; l1 sums in
    another order), hostile rows included."""
    x = rows(7, 11, np.float32, seed=3)
    x[1, 4], x[3, 0], x[5] = np.nan, -np.inf, 3e38  # NaN, -Inf and an overflowing difference
    x[6] = -3e38
    reduce = tf.reduce_sum if norm == 1 else tf.reduce_max
    plain = tf.function(lambda g: distances_module.rowwise_distances(g, reduce))(tf.constant(x))
    compiled = aggregators.pairwise_distances(x, norm).numpy()
    np.testing.assert_allclose(compiled, plain.numpy(), rtol=0 if norm == "inf" else 1e-6)
    np.testing.assert_array_equal(np.isinf(compiled), np.isinf(plain.numpy()))
    assert np.isinf(compiled[1]).all() and np.isinf(compiled[3]).all()  # non-finite rows
    assert compiled[5, 6] == np.inf and compiled[5, 5] == 0  # overflow counts as +Inf


# The coordinate-wise stage (shared convention with the native op).

def test_sorted_rows_match_numpy_sort():
    rng = np.random.default_rng(0)
    for n in [1, 2, 3, 5, 8, 13, 21, 39]:
        x = rng.integers(-3, 4, size=(n, 50)).astype(np.float32)  # many ties
        x[rng.random((n, 50)) < 0.1] = np.inf
        x[rng.random((n, 50)) < 0.1] = -np.inf
        for start, stop in [(0, n), ((n - 1) // 2, n // 2 + 1), (n // 3, n - n // 3)]:
            if start < stop:
                np.testing.assert_array_equal(sorting.sorted_rows(tf.constant(x), start, stop),
                                              np.sort(x, axis=0)[start:stop])


def test_sorted_rows_past_the_network_size_uses_tf_sort():
    x = np.random.default_rng(1).standard_normal((sorting.NETWORK_MAX_ROWS + 3, 5))
    np.testing.assert_array_equal(sorting.sorted_rows(tf.constant(x), 10, 20),
                                  np.sort(x, axis=0)[10:20])


def test_nan_as_inf():
    x = tf.constant([[1.0, np.nan], [np.inf, -np.inf]])
    np.testing.assert_array_equal(sorting.nan_as_inf(x), [[1.0, np.inf], [np.inf, -np.inf]])
    finite = tf.constant([[1.0, 2.0]])
    assert sorting.nan_as_inf(finite) is finite or np.array_equal(sorting.nan_as_inf(finite),
                                                                  finite)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("theta,beta", [(1, 1), (2, 1), (2, 2), (3, 1), (4, 2), (5, 3), (7, 3),
                                        (8, 4), (11, 5), (21, 3), (21, 21), (30, 7)])
def test_closest_to_median_mean_tf_matches_numpy(theta, beta, dtype):
    rng = np.random.default_rng(theta * 31 + beta)
    picked = rng.integers(-4, 5, size=(theta, 64)).astype(dtype)  # ties everywhere
    picked[:, :16] = rng.standard_normal((theta, 16))
    picked[rng.random(picked.shape) < 0.05] = np.nan
    picked[rng.random(picked.shape) < 0.03] = -np.inf
    out = coordinatewise.closest_to_median_mean_tf(tf.constant(picked), beta).numpy()
    assert out.dtype == dtype
    np.testing.assert_allclose(out, reference.closest_to_median_mean(picked, beta), rtol=1e-6,
                               atol=1e-6 if dtype == np.float32 else 1e-12)


def test_closest_to_median_mean_hand_computed():
    picked = np.array([[0, np.nan], [1, 1], [2, 2], [4, 3], [8, 4]], np.float32)
    np.testing.assert_array_equal(coordinatewise.closest_to_median_mean_tf(picked, 3), [1, 3])


def test_closest_to_median_mean_dispatches_to_the_native_op(monkeypatch):
    """With an op loaded, the stage hands it the picked values and beta unchanged and returns
    its output as it is; without one, it computes the pure-TF value."""
    calls = []
    sentinel = tf.constant([7.0, -7.0, 0.5])

    def fake_op(picked, beta):
        calls.append((picked, beta))
        return sentinel

    # columns: 0 1 2 4 8 -> median 2, closest 3: 2, 1, then 0 (tie with 4, the lower) -> 1;
    # 5 5 5 5 5 -> 5; -1 -2 -3 -4 10 -> median -2, closest -2, -1|-3 -> -2
    picked = tf.constant([[0.0, 5, -1], [1, 5, -2], [2, 5, -3], [4, 5, -4], [8, 5, 10]])
    monkeypatch.setattr(native, "load", lambda: fake_op)
    out = coordinatewise.closest_to_median_mean(picked, 3)
    assert out is sentinel
    assert len(calls) == 1 and calls[0][1] == 3
    np.testing.assert_array_equal(calls[0][0], picked)
    monkeypatch.setattr(native, "load", lambda: None)
    np.testing.assert_array_equal(coordinatewise.closest_to_median_mean(picked, 3), [1, 5, -2])


def test_closest_to_median_mean_bad_arguments():
    with pytest.raises(ValueError, match=r"needs an int beta with 1 <= beta <= theta, got "
                                         r"beta=6, theta=5"):
        coordinatewise.closest_to_median_mean(tf.ones([5, 3]), 6)
    with pytest.raises(ValueError, match=r"shape \[theta, d\]"):
        coordinatewise.closest_to_median_mean_tf(tf.ones([5]), 1)
