"""Chains of pre-aggregation steps and a rule ("arc+nnm+trimmed-mean"): the NumPy transcription
of each part applied in turn, option routing, min_workers, every error message, hostile rows,
and the shortcuts (distances computed once and carried through the mixing steps)."""

import re

import numpy as np
import pytest
import tensorflow as tf

import aggregators
import pre_aggregation_reference as reference
import test_aggregators_reference as rules_reference
from aggregators import bucketing, mixing
from aggregators import distances as distances_module
from test_pre_aggregation import HOSTILE, TOLERANCE, hostile_rows, random_rows

F = 2


def numpy_chain(chain, x, f, **options):
    """Each part's NumPy transcription in turn; bucketing's permutation is the TF one (keyed)."""
    *steps, rule = chain.split("+")
    rows = np.asarray(x, np.float64)
    for step in steps:
        own = {key.split(".", 1)[1]: value for key, value in options.items()
               if key.startswith(step + ".")}
        if step == "bucketing":
            order = bucketing.permutation(len(rows), own.get("seed")).numpy()
            rows = reference.bucketing(rows, order, own.get("s", 2))
        else:
            rows = reference.STEPS[step](rows, f, **own)
    rule_options = {key: np.inf if value == "inf" else value
                    for key, value in options.items() if "." not in key}
    with np.errstate(all="ignore"):  # squares of hostile rows overflow to +Inf, as meant
        return rules_reference.RULES[rule](rows, f, **rule_options)


def workers_for(chain, f=F, **options):
    return max(aggregators.get(chain).min_workers(f, **options), 11) + 2


CHAINS = [
    ("nnm+krum", {}),
    ("nnm+krum", {"norm": "inf"}),
    ("nnm+multi-krum", {"m": 3}),
    ("nnm+geomed", {}),
    ("nnm+brute", {}),
    ("nnm+bulyan-krum", {}),
    ("nnm+median", {}),
    ("arc+nnm+trimmed-mean", {}),
    ("arc+krum", {}),
    ("bucketing+median", {"bucketing.s": 3, "bucketing.seed": 4}),
    ("bucketing+krum", {}),
    ("nnm+bucketing+krum", {"bucketing.seed": 2}),
    ("bucketing+nnm+median", {}),
    ("clip+average", {"clip.c": 1.5}),
    ("clip+nnm+clip+average", {"clip.c": 1.0}),
    ("clip+nnm+geomed", {}),
]


@pytest.mark.parametrize("graph", [False, True], ids=["eager", "graph"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("chain,options", CHAINS, ids=lambda c: str(c))
def test_chain_matches_its_parts_in_numpy(chain, options, dtype, graph):
    n = workers_for(chain, **options)
    x = random_rows(n, 6, dtype, seed=len(chain))
    call = lambda v: aggregators.aggregate(chain, v, F, **options)  # noqa: E731
    out = (tf.function(call)(x) if graph else call(x)).numpy()
    assert out.dtype == dtype
    np.testing.assert_allclose(out, numpy_chain(chain, x, F, **options), **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kinds", HOSTILE, ids="|".join)
@pytest.mark.parametrize("chain,options", [
    ("nnm+krum", {}), ("arc+nnm+trimmed-mean", {}), ("bucketing+median", {}),
    ("clip+average", {}), ("nnm+bulyan-krum", {}), ("arc+krum", {}),
    ("nnm+bucketing+krum", {}),
    # c above the honest norms: with the default c = 2, clipped rows share one norm and NNM's
    # neighbours of the zeroed rows tie (broken by rounding, differently in NumPy)
    ("clip+nnm+median", {"clip.c": 100.0})], ids=lambda c: str(c))
def test_hostile_rows_never_reach_a_robust_chain_output(chain, options, kinds, dtype):
    # 3 hostile rows of 13 (or more rows where the chain needs them), f = 3.
    f = 3
    x, _ = hostile_rows(kinds, dtype, seed=len(chain))
    n = aggregators.get(chain).min_workers(f)
    if n > len(x):
        extra = random_rows(n - len(x), x.shape[1], dtype, seed=99)
        x = np.concatenate([extra, x])
    out = aggregators.aggregate(chain, x, f, **options).numpy()
    assert np.all(np.isfinite(out)), out
    np.testing.assert_allclose(out, numpy_chain(chain, x, f, **options), **TOLERANCE[dtype])


@pytest.mark.parametrize("chain", ["nnm+krum", "bucketing+median", "nnm+bucketing+krum"])
def test_hostile_rows_in_a_graph_as_eagerly(chain):
    # The recomputation of the outputs that mix a non-finite row, inside tf.function.
    x, _ = hostile_rows(("nan", "one-nan", "+inf"), np.float32, seed=1)
    x = np.concatenate([random_rows(4, x.shape[1], np.float32, seed=98), x])
    eager = aggregators.aggregate(chain, x, 3).numpy()
    graph = tf.function(lambda v: aggregators.aggregate(chain, v, 3))(x).numpy()
    assert np.all(np.isfinite(graph))
    np.testing.assert_array_equal(graph, eager)
    np.testing.assert_allclose(graph, numpy_chain(chain, x, 3), **TOLERANCE[np.float32])


def test_pre_aggregate_of_a_chain_of_steps():
    x = random_rows(13, 5)
    out = aggregators.pre_aggregate("arc+nnm", x, 3).numpy()
    np.testing.assert_allclose(out, reference.nnm(reference.arc(x, 3), 3), rtol=1e-12)
    out = aggregators.pre_aggregate("nnm+bucketing", x, 3, **{"bucketing.s": 4}).numpy()
    order = bucketing.permutation(13).numpy()
    np.testing.assert_allclose(out, reference.bucketing(reference.nnm(x, 3), order, 4),
                               rtol=1e-12)


# The chain as a Rule.

def test_a_chain_is_a_cached_rule():
    chain = aggregators.get("arc+nnm+trimmed-mean")
    assert isinstance(chain, aggregators.Rule) and isinstance(chain, aggregators.Chain)
    assert aggregators.get("arc+nnm+trimmed-mean") is chain
    assert chain.name == "arc+nnm+trimmed-mean"
    assert aggregators.get(" arc + nnm + trimmed-mean ").name == "arc+nnm+trimmed-mean"
    assert [step.name for step in chain.steps] == ["arc", "nnm"]
    assert chain.rule is aggregators.get("trimmed-mean")
    assert not chain.selects and not chain.coordinatewise
    for part in ("2405.14432", "Fixing by Mixing", "Yin, Chen, Ramchandran, Bartlett"):
        assert part in chain.source
    assert "nnm+krum" not in aggregators.names() and "nnm" not in aggregators.names()
    with pytest.raises(ValueError, match="nnm\\+krum does not select submissions"):
        aggregators.get("nnm+krum").select(random_rows(9), F)


def test_chain_options_are_the_steps_prefixed_then_the_rule_s_but_distances():
    assert sorted(aggregators.get("bucketing+multi-krum").options) == [
        "bucketing.s", "bucketing.seed", "m", "norm"]
    assert sorted(aggregators.get("clip+arc+median").options) == ["clip.c"]


def test_options_reach_their_part():
    x = random_rows(13, 6, seed=3)
    # clip.c reaches clip (both times it is used), norm reaches krum.
    for chain, options in [("clip+krum", {"clip.c": 0.7, "norm": "inf"}),
                           ("clip+nnm+clip+average", {"clip.c": 0.5})]:
        out = aggregators.aggregate(chain, x, F, **options).numpy()
        np.testing.assert_allclose(out, numpy_chain(chain, x, F, **options), rtol=1e-12)
        plain = aggregators.aggregate(chain, x, F).numpy()
        assert not np.allclose(out, plain)


def test_bucketing_seed_as_a_tensor_in_a_graph_equals_the_int_eagerly():
    x = random_rows(13, 6, np.float32, seed=4)
    eager = aggregators.aggregate("bucketing+median", x, F, **{"bucketing.seed": 5}).numpy()
    graph = tf.function(lambda v, key: aggregators.aggregate(
        "bucketing+median", v, F, **{"bucketing.seed": key}))
    np.testing.assert_array_equal(graph(x, tf.constant([0, 5], tf.int64)).numpy(), eager)
    other = graph(x, tf.constant([0, 6], tf.int64)).numpy()
    assert not np.array_equal(other, eager)


@pytest.mark.parametrize("chain,f,options,expected", [
    ("nnm+krum", 2, {}, 7),
    ("nnm+bulyan", 2, {}, 11),
    ("arc+nnm+trimmed-mean", 3, {}, 7),
    ("bucketing+krum", 2, {}, 13),                   # ceil(n/2) >= 7
    ("bucketing+krum", 2, {"bucketing.s": 3}, 19),   # ceil(n/3) >= 7
    ("bucketing+krum", 0, {}, 5),                    # ceil(n/2) >= 3
    ("bucketing+bucketing+median", 1, {}, 9),        # ceil(ceil(n/2)/2) >= 3
    ("bucketing+nnm+krum", 2, {}, 13),
    ("clip+average", 0, {}, 1),
    ("clip+average", 4, {}, 5),
])
def test_min_workers_of_a_chain(chain, f, options, expected):
    rule = aggregators.get(chain)
    assert rule.min_workers(f, **options) == expected
    d = 3
    aggregators.aggregate(chain, random_rows(expected, d), f, **options)
    if expected > 1:
        with pytest.raises(ValueError, match=f"^{chain.replace('+', '[+]')}: "):
            aggregators.aggregate(chain, random_rows(expected - 1, d), f, **options)


@pytest.mark.parametrize("call,message", [
    (lambda: aggregators.aggregate("bucketing+krum", random_rows(11), 2),
     "bucketing+krum: bucketing leaves ceil(n/2)=6 outputs but krum needs >= 7 for f=2 (n=11)"),
    (lambda: aggregators.aggregate("bucketing+krum", random_rows(18), 2, **{"bucketing.s": 3}),
     "bucketing+krum: bucketing leaves ceil(n/3)=6 outputs but krum needs >= 7 for f=2 (n=18)"),
    (lambda: aggregators.aggregate("bucketing+bucketing+median", random_rows(8), 1),
     "bucketing+bucketing+median: bucketing then bucketing leaves ceil(ceil(n/2)/2)=2 outputs "
     "but median needs >= 3 for f=1 (n=8)"),
    (lambda: aggregators.aggregate("bucketing+nnm+krum", random_rows(5), 2),
     "bucketing+nnm+krum: bucketing leaves ceil(n/2)=3 outputs but krum needs >= 7 for f=2 "
     "(n=5)"),
    (lambda: aggregators.aggregate("bucketing+nnm+krum", random_rows(4), 2),
     "bucketing+nnm+krum: bucketing leaves ceil(n/2)=2 outputs but nnm needs >= 3 for f=2 "
     "(n=4)"),
    (lambda: aggregators.aggregate("nnm+krum", random_rows(6), 2),
     "nnm+krum: krum needs n >= 2f+3, got n=6, f=2"),
    (lambda: aggregators.aggregate("nnm+krum", random_rows(3), 3),
     "nnm+krum: nnm needs n >= f+1, got n=3, f=3"),
    (lambda: aggregators.aggregate("arc+nnm+trimmed-mean", random_rows(4), 2),
     "arc+nnm+trimmed-mean: trimmed-mean needs n >= 2f+1, got n=4, f=2"),
    (lambda: aggregators.get("nnm++krum"),
     "'nnm++krum' has an empty part: join steps and a rule with single '+'"),
    (lambda: aggregators.get("nnm+"), "'nnm+' has an empty part"),
    (lambda: aggregators.get("+krum"), "'+krum' has an empty part"),
    (lambda: aggregators.get("foo+krum"),
     "foo+krum: unknown pre-aggregation step 'foo'; known steps: arc, bucketing, clip, nnm"),
    (lambda: aggregators.get("krum+median"),
     "krum+median: krum is a rule, not a pre-aggregation step: only the last part of a chain "
     "is a rule"),
    (lambda: aggregators.get("nnm+clip"),
     "'nnm+clip' ends with the step 'clip': a chain ends with a rule"),
    (lambda: aggregators.get("nnm+kurm"),
     "nnm+kurm: unknown aggregation rule 'kurm'; known rules: average, "),
    (lambda: aggregators.get("nnm"),
     "nnm is a pre-aggregation step, not a rule: end a chain with a rule, e.g. 'nnm+krum'"),
    (lambda: aggregators.aggregate("bucketing+median", random_rows(11), 2, **{"bucketing.t": 3}),
     "bucketing+median has no option 'bucketing.t'; its options: bucketing.s, bucketing.seed"),
    (lambda: aggregators.aggregate("nnm+krum", random_rows(11), 2, **{"bucketing.s": 3}),
     "nnm+krum has no option 'bucketing.s'; its options: norm"),
    (lambda: aggregators.aggregate("nnm+krum", random_rows(11), 2, distances=np.zeros((11, 11))),
     "nnm+krum has no option 'distances'; its options: norm"),
    (lambda: aggregators.aggregate("nnm+krum", random_rows(11), 2, s=2),
     "nnm+krum has no option 's'; its options: norm"),
    (lambda: aggregators.aggregate("bucketing+median", random_rows(11), 2, **{"bucketing.s": 0}),
     "bucketing+median needs bucketing.s as an int >= 1, got bucketing.s=0"),
    (lambda: aggregators.aggregate("clip+krum", random_rows(11), 2, **{"clip.c": -1}),
     "clip+krum needs clip.c as a finite number > 0, got clip.c=-1"),
    (lambda: aggregators.aggregate("nnm+krum", random_rows(11), 2, norm=3),
     "nnm+krum needs norm in (1, 2, 'inf', math.inf), got norm=3"),
    (lambda: aggregators.aggregate("nnm+krum", random_rows(11), 2.0),
     "nnm+krum needs f as a Python int >= 0, got f=2.0"),
    (lambda: aggregators.get("nnm+krum").min_workers(-1), "nnm+krum needs f >= 0, got f=-1"),
    (lambda: aggregators.aggregate("nnm+krum", np.zeros((11, 2), np.int32), 2),
     "nnm+krum needs float32 or float64 gradients, got int32"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_chain_errors(call, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        call()


# The shortcuts.

def count_distance_matrices(monkeypatch):
    calls = []
    original = distances_module._l2_distances

    def counting(x):
        calls.append(x.shape[0])
        return original(x)

    monkeypatch.setattr(distances_module, "_l2_distances", counting)
    return calls


@pytest.mark.parametrize("chain,computed", [
    ("nnm+krum", [15]),             # NNM's, carried to Krum
    ("nnm+bulyan-krum", [15]),
    ("nnm+multi-krum", [15]),
    ("nnm+bucketing+krum", [15]),   # carried through bucketing too
    ("arc+nnm+geomed", [15]),       # ARC needs norms only
    ("bucketing+krum", [8]),        # Krum's own, on the 8 buckets
    ("clip+nnm+clip+krum", [15, 15]),  # clipping changes the geometry: Krum's own
])
def test_each_distance_matrix_is_computed_once(chain, computed, monkeypatch):
    calls = count_distance_matrices(monkeypatch)
    x = random_rows(15, 6, seed=5)
    out = aggregators.aggregate(chain, x, 2).numpy()
    assert calls == computed
    np.testing.assert_allclose(out, numpy_chain(chain, x, 2), rtol=1e-12)


@pytest.mark.parametrize("rule", ["krum", "multi-krum", "geomed", "brute"])
def test_selecting_rules_output_the_mean_of_their_selection(rule):
    # The chain applies only the selected outputs' weights, relying on this.
    x = random_rows(11, 6, seed=6)
    selected = aggregators.get(rule).select(x, 2).numpy()
    np.testing.assert_allclose(aggregators.aggregate(rule, x, 2).numpy(),
                               np.mean(x[selected], axis=0), rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mixed_distances_are_the_distances_of_the_means(dtype):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((9, 50)).astype(dtype)
    weights = rng.random((5, 9)) * (rng.random((5, 9)) < 0.6)
    weights[:, 0] += 0.1
    weights = (weights / weights.sum(axis=1, keepdims=True)).astype(dtype)
    got = mixing.mixed_distances(aggregators.pairwise_distances(x), tf.constant(weights))
    means = weights.astype(np.float64) @ x.astype(np.float64)
    np.testing.assert_allclose(got.numpy(), rules_reference.distances(means),
                               rtol=1e-4 if dtype == np.float32 else 1e-10, atol=1e-5)
    np.testing.assert_array_equal(got.numpy(), got.numpy().T)


def test_mixed_distances_of_means_of_non_finite_rows_are_infinite():
    x = np.array([[0.0, 1.0], [np.nan, 0.0], [2.0, 2.0], [1e200, 0.0], [3.0, -1.0]])
    weights = np.array([[0.5, 0.5, 0, 0, 0],    # mixes the NaN row: +Inf everywhere
                        [0, 0, 0.5, 0, 0.5],
                        [0, 0, 0, 0.5, 0.5],    # far (squared distance overflows)
                        [0.5, 0, 0.5, 0, 0]])
    got = mixing.mixed_distances(aggregators.pairwise_distances(x), tf.constant(weights)).numpy()
    inf = np.inf
    means = weights[[1, 3]] @ np.nan_to_num(x)
    near = np.linalg.norm(means[0] - means[1])
    np.testing.assert_allclose(got, [[inf, inf, inf, inf], [inf, 0, inf, near],
                                     [inf, inf, 0, inf], [inf, near, inf, 0]], rtol=1e-12)
