"""The pre-aggregation steps alone (nnm, bucketing, clip, arc): hand-computed cases, the NumPy
transcriptions of `pre_aggregation_reference` on random and hostile inputs, float32 and float64,
eagerly and inside tf.function, and their argument errors."""

import numpy as np
import pytest
import tensorflow as tf

import aggregators
import pre_aggregation_reference as reference
from aggregators import arc, bucketing
from test_aggregators_hostile import hostile_row

TOLERANCE = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}
N, F, D = 13, 3, 7


def random_rows(n=N, d=D, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0, (n, 1))).astype(dtype)


def run(name, x, f, graph, **options):
    """pre_aggregate eagerly or inside tf.function, as NumPy."""
    if graph:
        return tf.function(lambda v: aggregators.pre_aggregate(name, v, f, **options))(x).numpy()
    return aggregators.pre_aggregate(name, x, f, **options).numpy()


def numpy_step(name, x, f, **options):
    if name == "bucketing":
        order = bucketing.permutation(len(x), options.get("seed")).numpy()
        return reference.bucketing(x, order, options.get("s", 2))
    return reference.STEPS[name](x, f, **options)


# Hand-computed cases.

def test_nnm_by_hand():
    # f = 1: each scalar averages its 3 nearest, itself included.
    # 0 -> {0, 1, 3}; 1 -> {1, 0, 3}; 3 -> {3, 1, 0} (distances 0, 2, 3; 10 is 7 away);
    # 10 -> {10, 3, 1} (distances 0, 7, 9): 4/3, 4/3, 4/3, 14/3.
    out = aggregators.pre_aggregate("nnm", np.array([[0.0], [1.0], [3.0], [10.0]]), 1).numpy()
    np.testing.assert_allclose(out[:, 0], [4 / 3, 4 / 3, 4 / 3, 14 / 3], rtol=1e-15)


def test_nnm_ties_go_to_the_lowest_index():
    # f = 2, n - f = 2: 0 has -1 (index 1) and +1 (index 2) both at distance 1: index 1 wins,
    # mean -0.5; -1 -> {-1, 0}; 1 -> {1, 0}; 5 -> {5, 1}.
    out = aggregators.pre_aggregate("nnm", np.array([[0.0], [-1.0], [1.0], [5.0]]), 2).numpy()
    np.testing.assert_array_equal(out[:, 0], [-0.5, -0.5, 0.5, 3.0])


def test_arc_by_hand():
    # Norms 1, 2, 3, 10; n = 4, f = 1: k = floor(2 * 1/4 * 3) = 1: 10 is clipped to 3, the
    # (k+1)-th largest norm; the other rows are left bit for bit.
    x = np.array([[1.0, 0.0], [0.0, -2.0], [1.8, 2.4], [6.0, 8.0]])
    out = aggregators.pre_aggregate("arc", x, 1).numpy()
    np.testing.assert_array_equal(out[:3], x[:3])
    np.testing.assert_allclose(out[3], [1.8, 2.4], rtol=1e-15)


@pytest.mark.parametrize("n,f,k", [(4, 1, 1), (10, 0, 0), (10, 3, 4), (11, 5, 5), (39, 9, 13),
                                   (3, 1, 1), (121, 66, 60)])  # 2*66*55/121 = 60 exactly
def test_arc_clips_floor_of_2_f_over_n_times_n_minus_f(n, f, k):
    assert arc.clipped_count(n, f) == k
    x = np.diag(np.arange(1.0, n + 1))  # norms 1..n, one axis each
    out = aggregators.pre_aggregate("arc", x, f).numpy()
    expected = np.minimum(np.arange(1.0, n + 1), n - k)
    np.testing.assert_allclose(np.diag(out), expected, rtol=1e-15)


def test_clip_by_hand():
    # [3, 4] has norm 5 > 2: scaled by 2/5 to [1.2, 1.6]; [0.6, 0.8] (norm 1) is left as it is.
    x = np.array([[3.0, 4.0], [0.6, 0.8]], np.float32)
    out = aggregators.pre_aggregate("clip", x, 0, **{"clip.c": 2}).numpy()
    np.testing.assert_allclose(out[0], [1.2, 1.6], rtol=1e-6)
    np.testing.assert_array_equal(out[1], x[1])
    default = aggregators.pre_aggregate("clip", x * 10, 0).numpy()  # c = 2 by default
    np.testing.assert_allclose(np.linalg.norm(default, axis=1), [2.0, 2.0], rtol=1e-6)


def test_bucketing_by_hand():
    # Order [2, 0, 3, 1, 4], s = 2: buckets {30, 10}, {40, 20}, {50}: means 20, 30, 50.
    x = tf.constant([[10.0], [20.0], [30.0], [40.0], [50.0]], tf.float64)
    weights = bucketing.weights_for_order(tf.constant([2, 0, 3, 1, 4]), 2, tf.float64)
    np.testing.assert_array_equal(tf.matmul(weights, x).numpy()[:, 0], [20.0, 30.0, 50.0])
    # s = 3: {30, 10, 40}, {20, 50}: means 80/3, 35.
    weights = bucketing.weights_for_order(tf.constant([2, 0, 3, 1, 4]), 3, tf.float64)
    np.testing.assert_allclose(tf.matmul(weights, x).numpy()[:, 0], [80 / 3, 35.0], rtol=1e-15)


def test_bucketing_uses_the_seeded_permutation():
    x = np.arange(7.0)[:, None] * 10
    order = bucketing.permutation(7, 5).numpy()
    assert sorted(order) == list(range(7))
    out = aggregators.pre_aggregate("bucketing", x, 1, **{"bucketing.seed": 5}).numpy()
    np.testing.assert_allclose(out, reference.bucketing(x, order, 2), rtol=1e-15)


def test_bucketing_permutation_is_keyed_and_reproducible():
    first = bucketing.permutation(39, 7).numpy()
    assert sorted(first) == list(range(39))
    np.testing.assert_array_equal(bucketing.permutation(39, 7).numpy(), first)
    # An int k is the key [0, k]; None is the default key 0.
    np.testing.assert_array_equal(bucketing.permutation(39, tf.constant([0, 7])).numpy(), first)
    np.testing.assert_array_equal(bucketing.permutation(39).numpy(),
                                  bucketing.permutation(39, 0).numpy())
    assert not np.array_equal(bucketing.permutation(39, 8).numpy(), first)
    assert not np.array_equal(bucketing.permutation(39, tf.constant([1, 7])).numpy(), first)
    # The same in a graph, with the key as a tensor argument (a training step's key).
    graph = tf.function(lambda key: bucketing.permutation(39, key))
    np.testing.assert_array_equal(graph(tf.constant([0, 7], tf.int64)).numpy(), first)


def test_bucketing_default_seed_repeats_and_seeds_differ():
    x = random_rows(N, D)
    once = aggregators.pre_aggregate("bucketing", x, F).numpy()
    np.testing.assert_array_equal(aggregators.pre_aggregate("bucketing", x, F).numpy(), once)
    other = aggregators.pre_aggregate("bucketing", x, F, **{"bucketing.seed": 1}).numpy()
    assert not np.allclose(other, once)


@pytest.mark.parametrize("n,s,m", [(13, 2, 7), (12, 2, 6), (13, 3, 5), (4, 5, 1), (5, 1, 5)])
def test_bucketing_outputs_ceil_n_over_s(n, s, m):
    assert aggregators.get_step("bucketing").outputs(n, 1, s=s) == m
    x = random_rows(n, 3)
    out = aggregators.pre_aggregate("bucketing", x, 1, **{"bucketing.s": s}).numpy()
    order = bucketing.permutation(n).numpy()
    np.testing.assert_allclose(out, reference.bucketing(x, order, s), rtol=1e-13)


# The NumPy transcriptions, random inputs.

STEP_CASES = [("nnm", {}), ("clip", {"c": 2.5}), ("arc", {}), ("bucketing", {"s": 2}),
              ("bucketing", {"s": 3, "seed": 11})]


@pytest.mark.parametrize("graph", [False, True], ids=["eager", "graph"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,options", STEP_CASES, ids=lambda c: str(c))
def test_step_matches_numpy(name, options, dtype, graph):
    for seed, f in [(0, F), (1, 0), (2, 5)]:
        x = random_rows(N, D, dtype, seed)
        prefixed = {f"{name}.{key}": value for key, value in options.items()}
        out = run(name, x, f, graph, **prefixed)
        assert out.dtype == dtype
        np.testing.assert_allclose(out, numpy_step(name, x, f, **options), **TOLERANCE[dtype])


def test_step_objects_are_callable_with_plain_options():
    x = random_rows(N, D)
    step = aggregators.get_step("clip")
    np.testing.assert_allclose(step(x, F, c=1.5).numpy(), reference.clip(x, F, c=1.5),
                               rtol=1e-13)
    assert step.name == "clip" and "2405.14432" in step.source
    assert aggregators.get_step("nnm").min_inputs(3) == 4
    assert "Fixing by Mixing" in aggregators.get_step("nnm").source
    assert "Bucketing" in aggregators.get_step("bucketing").source


# Hostile rows: at most f of them, through every step.

HOSTILE = [("nan", "nan", "one-nan"), ("+inf", "-inf", "nan"), ("huge", "-huge", "nan"),
           ("one-nan", "huge", "+inf")]


def hostile_rows(kinds, dtype, seed=0):
    """N rows, the last len(kinds) hostile, shuffled; returns (rows, hostile mask)."""
    rng = np.random.default_rng(seed)
    rows = random_rows(N, D, dtype, seed)
    for position, kind in enumerate(kinds):
        rows[N - 1 - position] = hostile_row(kind, D, dtype, rng)
    order = rng.permutation(N)
    return rows[order], order >= N - len(kinds)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kinds", HOSTILE, ids="|".join)
@pytest.mark.parametrize("name", ["nnm", "clip", "arc"])
def test_hostile_rows_never_reach_an_honest_output(name, kinds, dtype):
    # f = 4 for 3 hostile rows: an honest row's n - f = 9 nearest are 9 of the 10 honest ones.
    f = F + 1
    x, hostile = hostile_rows(kinds, dtype, seed=len(name))
    out = aggregators.pre_aggregate(name, x, f).numpy()
    expected = numpy_step(name, x, f)
    honest = ~hostile
    assert np.all(np.isfinite(out[honest]))
    np.testing.assert_allclose(out[honest], expected[honest], **TOLERANCE[dtype])
    if name in ("clip", "arc"):
        # Every row clipped exactly or zeroed: all finite, with norm <= the limit.
        assert np.all(np.isfinite(out))
        np.testing.assert_allclose(out, expected, **TOLERANCE[dtype])
    elif all(kind in ("nan", "one-nan", "+inf", "-inf") for kind in kinds):
        # NNM: a non-finite row's own output mixes itself: non-finite, exactly as defined.
        assert not np.any(np.all(np.isfinite(out[hostile]), axis=1))
        np.testing.assert_allclose(out, expected, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kinds", HOSTILE, ids="|".join)
def test_hostile_rows_spoil_only_their_buckets(kinds, dtype):
    x, hostile = hostile_rows(kinds, dtype, seed=7)
    out = aggregators.pre_aggregate("bucketing", x, F).numpy()
    order = bucketing.permutation(N).numpy()
    expected = reference.bucketing(x, order, 2)
    spoiled = np.array([hostile[order[b:b + 2]].any() for b in range(0, N, 2)])
    assert spoiled.sum() <= F
    assert np.all(np.isfinite(out[~spoiled]))
    np.testing.assert_allclose(out[~spoiled], expected[~spoiled], **TOLERANCE[dtype])
    finite_kinds = all(kind in ("nan", "one-nan", "+inf", "-inf") for kind in kinds)
    if finite_kinds:  # the spoiled buckets are NaN / Inf exactly where their mean is
        np.testing.assert_allclose(out, expected, **TOLERANCE[dtype])


def test_clip_of_an_overflowing_row_is_exact():
    # float32: 1e30 squared overflows; the row is still clipped to c x / ||x||.
    x = np.array([[1e30, -2e30, 2e30], [1.0, 2.0, 2.0]], np.float32)
    out = aggregators.pre_aggregate("clip", x, 0, **{"clip.c": 3.0}).numpy()
    np.testing.assert_allclose(out, [[1.0, -2.0, 2.0], [1.0, 2.0, 2.0]], rtol=1e-6)
    np.testing.assert_array_equal(out[1], x[1])


def test_clip_zeroes_non_finite_rows():
    x = np.array([[np.nan, 1.0], [np.inf, 0.0], [-np.inf, np.inf], [0.3, 0.4]])
    out = aggregators.pre_aggregate("clip", x, 0).numpy()
    np.testing.assert_array_equal(out, [[0, 0], [0, 0], [0, 0], [0.3, 0.4]])


def test_arc_leaves_rows_when_more_are_non_finite_than_it_clips():
    # n = 4, f = 1: k = 1 but two rows are NaN: the threshold is +Inf, nothing is clipped.
    x = np.array([[np.nan, 1.0], [3.0, 4.0], [np.nan, np.nan], [30.0, 40.0]])
    out = aggregators.pre_aggregate("arc", x, 1).numpy()
    np.testing.assert_array_equal(out, x)


def test_mix_recomputes_outputs_that_mix_a_non_finite_row():
    from aggregators import mixing
    x = tf.constant([[1.0, 2.0], [np.nan, 5.0], [np.inf, 1.0], [-np.inf, 3.0]], tf.float64)
    weights = tf.constant([[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5], [0.5, 0, 0.5, 0],
                           [1.0, 0, 0, 0]], tf.float64)
    out = mixing.mix(weights, x).numpy()
    np.testing.assert_array_equal(out, [[np.nan, 3.5], [np.nan, 2.0], [np.inf, 1.5], [1.0, 2.0]])
    graph = tf.function(mixing.mix)(weights, x).numpy()
    np.testing.assert_array_equal(graph, out)


# Errors.

@pytest.mark.parametrize("call,message", [
    (lambda x: aggregators.pre_aggregate("nnm", x[:3], 3), r"nnm needs n >= f\+1, got n=3, f=3"),
    (lambda x: aggregators.pre_aggregate("arc", x[:2], 2), r"arc needs n >= f\+1, got n=2, f=2"),
    (lambda x: aggregators.pre_aggregate("clip", x, 1, **{"clip.c": 0}),
     r"clip needs clip.c as a finite number > 0, got clip.c=0"),
    (lambda x: aggregators.pre_aggregate("clip", x, 1, c=2),
     r"clip has no option 'c'; its options: clip.c"),
    (lambda x: aggregators.pre_aggregate("bucketing", x, 1, **{"bucketing.s": 0}),
     r"bucketing needs bucketing.s as an int >= 1, got bucketing.s=0"),
    (lambda x: aggregators.pre_aggregate("bucketing", x, 1, **{"bucketing.seed": 1.5}),
     r"bucketing needs bucketing.seed as an int or an integer tensor of shape \[2\], got float"),
    (lambda x: aggregators.pre_aggregate("bucketing", x, 1, **{"bucketing.seed": -1}),
     r"bucketing needs bucketing.seed in \[0, 2\*\*63\), got bucketing.seed=-1"),
    (lambda x: aggregators.pre_aggregate("bucketing", x, 1,
                                         **{"bucketing.seed": np.zeros(3, np.int32)}),
     r"bucketing needs bucketing.seed as an int32 or int64 tensor of shape \[2\], got int32 of "
     r"shape \(3,\)"),
    (lambda x: aggregators.pre_aggregate("nnm", x, -1), r"nnm needs f >= 0, got f=-1"),
    (lambda x: aggregators.pre_aggregate("nnm", x[0], 1),
     r"nnm needs gradients of shape \[n, d\] \(2-D\)"),
    (lambda x: aggregators.pre_aggregate("nnm+krum", x, 1),
     r"nnm\+krum: krum is a rule; pre_aggregate takes steps only: arc, bucketing, clip, nnm"),
    (lambda x: aggregators.pre_aggregate("nmm", x, 1),
     r"nmm: unknown pre-aggregation step 'nmm'; known steps: arc, bucketing, clip, nnm"),
    (lambda x: aggregators.get_step("krum"),
     r"unknown pre-aggregation step 'krum'; known steps: arc, bucketing, clip, nnm"),
    (lambda x: aggregators.get_step("clip")(x, 1, c=-1.0),
     r"clip needs c as a finite number > 0, got c=-1.0"),
])
def test_step_errors(call, message):
    with pytest.raises(ValueError, match=f"^{message}"):
        call(random_rows())


def test_steps_are_listed_apart_from_rules():
    assert aggregators.steps() == ["arc", "bucketing", "clip", "nnm"]
    assert not set(aggregators.steps()) & set(aggregators.names())
