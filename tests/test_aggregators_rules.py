"""Every rule against hand-computed cases and against the NumPy transcription on random inputs;
permutation invariance; eager and tf.function agree."""

import math

import numpy as np
import pytest
import tensorflow as tf

import aggregators
import test_aggregators_reference as reference

DTYPES = [np.float32, np.float64]
TOLERANCE = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}
DISTANCE_RULES = ["krum", "geomed", "brute", "multi-krum", "bulyan-krum", "bulyan-geomed",
                  "bulyan-brute"]
# (n, f, d): Bulyan needs n >= 4f+3, so these cover every rule's minimum too.
SHAPES = [(7, 1, 3), (11, 2, 6), (12, 2, 17), (8, 0, 4)]


def gaussian(n, d, dtype, seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, d)) + rng.standard_normal(d)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", reference.HAND_CASES, ids=reference.hand_case_id)
def test_hand_computed(case, dtype):
    rule, rows, f, options, expected = case
    out = aggregators.aggregate(rule, np.array(rows, dtype), f, **options)
    assert out.dtype == tf.as_dtype(dtype)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n,f,d", SHAPES)
@pytest.mark.parametrize("rule", sorted(reference.RULES))
def test_matches_numpy_transcription(rule, n, f, d, dtype):
    if n < aggregators.get(rule).min_workers(f):
        pytest.skip(f"{rule} needs more than n={n} for f={f}")
    x = gaussian(n, d, dtype, seed=n * 100 + d)
    out = aggregators.aggregate(rule, x, f)
    assert out.dtype == tf.as_dtype(dtype) and out.shape == (d,)
    np.testing.assert_allclose(out.numpy(), reference.RULES[rule](x, f), **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm", [1, 2, "inf"])
@pytest.mark.parametrize("rule", DISTANCE_RULES)
def test_norms_match_numpy_transcription(rule, norm, dtype):
    n, f, d = 11, 2, 8
    x = gaussian(n, d, dtype, seed=7)
    out = aggregators.aggregate(rule, x, f, norm=norm)
    expected = reference.RULES[rule](x, f, norm=math.inf if norm == "inf" else norm)
    np.testing.assert_allclose(out.numpy(), expected, **TOLERANCE[dtype])


@pytest.mark.parametrize("rule", ["krum", "geomed", "brute", "multi-krum"])
def test_selected_indices_match_numpy_transcription(rule):
    n, f = 9, 2
    x = gaussian(n, 5, np.float64, seed=3)
    picked = aggregators.get(rule).select(x, f).numpy()
    expected = {"krum": [reference.krum_select(x, f)],
                "geomed": [reference.geomed_select(x)],
                "brute": reference.brute_select(x, f)}.get(rule)
    if rule == "multi-krum":
        np.testing.assert_allclose(np.mean(x[picked], axis=0), reference.multi_krum(x, f))
        assert len(picked) == n - f
    else:
        np.testing.assert_array_equal(picked, expected)
    assert picked.dtype == np.int32


@pytest.mark.parametrize("base", ["krum", "geomed", "brute"])
def test_bulyan_picks_match_numpy_transcription(base):
    from aggregators import bulyan
    x = gaussian(11, 4, np.float64, seed=5)
    distances = aggregators.pairwise_distances(x)
    picks = bulyan.picks(distances, 2, base, x, 2).numpy()
    np.testing.assert_array_equal(picks, reference.bulyan_picks(x, 2, base))


@pytest.mark.parametrize("rule", sorted(aggregators.names()))
def test_permutation_invariance(rule):
    n, f, d = 11, 2, 6
    x = gaussian(n, d, np.float64, seed=11)
    permuted = x[np.random.default_rng(1).permutation(n)]
    np.testing.assert_allclose(aggregators.aggregate(rule, permuted, f).numpy(),
                               aggregators.aggregate(rule, x, f).numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("rule", ["krum", "multi-krum", "bulyan-krum", "bulyan-brute", "median",
                                  "meamed", "geometric-median", "centered-clipping"])
def test_inside_tf_function(rule):
    n, f, d = 7, 1, 5
    x = gaussian(n, d, np.float32, seed=2)
    options = {"norm": "inf"} if rule in DISTANCE_RULES else {}

    @tf.function(input_signature=[tf.TensorSpec([n, d], tf.float32)])
    def graph(gradients):
        return aggregators.aggregate(rule, gradients, f, **options)

    np.testing.assert_allclose(graph(tf.constant(x)).numpy(),
                               aggregators.aggregate(rule, x, f, **options).numpy(), rtol=1e-6)


def test_bulyan_alias_is_bulyan_krum():
    assert aggregators.get("bulyan") is aggregators.get("bulyan-krum")
    x = gaussian(7, 3, np.float32, seed=4)
    np.testing.assert_array_equal(aggregators.aggregate("bulyan", x, 1).numpy(),
                                  aggregators.aggregate("bulyan-krum", x, 1).numpy())


def test_coordinatewise_rules_give_each_column_exactly():
    """rule.coordinatewise: the output's coordinate k is the rule on column k alone (with the full
    distance matrix given to the rules that take one), bit for bit but for a mean's rounding."""
    n, f, d = 11, 2, 6
    x = gaussian(n, d, np.float32, seed=8)
    x[3] *= 40  # an outlier row, so the picks are not the identity
    flagged = sorted(name for name in aggregators.names() if aggregators.get(name).coordinatewise)
    assert flagged == ["average", "bulyan", "bulyan-geomed", "bulyan-krum", "meamed", "median",
                       "phocas", "trimmed-mean"]
    for name in flagged:
        rule = aggregators.get(name)
        options = {"distances": aggregators.pairwise_distances(x)} if "distances" in rule.options else {}
        full = rule(x, f).numpy()
        columns = [rule(x[:, k:k + 1], f, **options).numpy()[0] for k in range(d)]
        if name in ("average", "meamed", "phocas"):  # a mean over rows, summed in another order
            np.testing.assert_allclose(columns, full, rtol=1e-6, atol=1e-6, err_msg=name)
        else:
            np.testing.assert_array_equal(columns, full, err_msg=name)
    # Krum's output is a whole row: its column-wise evaluation is not its output.
    krum = aggregators.get("krum")
    assert not krum.coordinatewise
    per_column = [krum(x[:, k:k + 1], f).numpy()[0] for k in range(d)]
    assert not np.array_equal(per_column, krum(x, f).numpy())
