"""The bounded gamma searches (attacks.gamma_search) on functions whose answer is known."""

import math

import numpy as np
import pytest
import tensorflow as tf

from attacks import gamma_search


@pytest.mark.parametrize("threshold, scale", [(37.0, 1.0), (37.0, 1000.0), (1e-3, 5.0), (5.0, 5.0)])
def test_largest_accepted_brackets_the_threshold(threshold, scale):
    calls = []

    def accepts(gamma):
        calls.append(gamma)
        return gamma <= threshold

    lo, hi = gamma_search.largest_accepted(accepts, tf.constant(scale, tf.float64), budget=16)
    lo, hi = float(lo), float(hi)
    assert len(calls) == 16
    assert lo <= threshold < hi <= 2 * lo
    # doubling/halving takes at most |log2(threshold / scale)| + 1 calls, bisection the rest
    moves = math.ceil(abs(math.log2(threshold / scale))) + 1
    assert (hi - lo) / lo <= 2.0 ** -(16 - moves - 1)


def test_largest_accepted_hand_computed():
    # scale 1, threshold 2.5: probes 1 (yes), 2 (yes), 4 (no), 3 (no), 2.5 (yes)
    probes = []

    def accepts(gamma):
        probes.append(float(gamma))
        return gamma <= 2.5

    lo, hi = gamma_search.largest_accepted(accepts, tf.constant(1.0), budget=5)
    assert probes == [1.0, 2.0, 4.0, 3.0, 2.5]
    assert (float(lo), float(hi)) == (2.5, 3.0)


def test_largest_accepted_upper_bound_and_fallback():
    lo, hi = gamma_search.largest_accepted(lambda g: tf.constant(True), tf.constant(3.0), budget=4)
    assert float(lo) == 3.0 * 2 ** 3 and math.isinf(float(hi))  # never rejected: the search's bound
    lo, hi = gamma_search.largest_accepted(lambda g: tf.constant(False), tf.constant(3.0), budget=4)
    assert float(lo) == 0.0 and float(hi) == 3.0 / 8  # never accepted: gamma_m = 0
    for scale in (0.0, math.nan, math.inf):
        lo, _ = gamma_search.largest_accepted(lambda g: g < 1, tf.constant(scale), budget=4)
        assert float(lo) == 0.0


@pytest.mark.parametrize("peak", [0.02, 1.0, 3.7, 450.0])
def test_most_deviating_finds_a_unimodal_peak(peak):
    def deviation(gamma):  # unimodal in log(gamma), maximal at `peak`
        return -tf.square(tf.math.log(gamma / peak))

    gamma, value = gamma_search.most_deviating(deviation, tf.constant(1e-3, tf.float64), 1e4, budget=16)
    assert abs(math.log(float(gamma) / peak)) < 0.1
    assert float(value) == pytest.approx(-math.log(float(gamma) / peak) ** 2)


def test_most_deviating_plateau_prefers_its_smallest_gamma():
    # saturating, as for the median: constant beyond gamma = 2
    def deviation(gamma):
        return tf.minimum(gamma, 2.0)

    gamma, value = gamma_search.most_deviating(deviation, tf.constant(1e-2), 1e3, budget=16)
    assert float(value) == 2.0
    assert 2.0 <= float(gamma) < 2.0 * 1.5


def test_most_deviating_unbounded_stops_at_high_and_ignores_non_finite():
    gamma, _ = gamma_search.most_deviating(lambda g: g, tf.constant(1.0), 64.0, budget=8)
    assert float(gamma) == pytest.approx(64.0)
    # non-finite deviations count as -inf: the finite maximum at gamma <= 10 wins
    gamma, value = gamma_search.most_deviating(
        lambda g: tf.where(g > 10.0, math.nan, g), tf.constant(1.0), 1000.0, budget=16)
    assert 5.0 < float(gamma) <= 10.0 and float(value) == float(gamma)


def test_searches_inside_tf_function_match_eager():
    def accepts(gamma):
        return gamma * gamma <= 7.0

    @tf.function
    def search(scale):
        return gamma_search.largest_accepted(accepts, scale, budget=12)

    eager = gamma_search.largest_accepted(accepts, tf.constant(0.5), budget=12)
    traced = search(tf.constant(0.5))
    np.testing.assert_array_equal([t.numpy() for t in traced], [t.numpy() for t in eager])


def test_budget_errors():
    with pytest.raises(ValueError, match="budget >= 1 .* got budget=0"):
        gamma_search.largest_accepted(lambda g: True, 1.0, budget=0)
    with pytest.raises(ValueError, match="budget >= 3 .* got budget=2"):
        gamma_search.most_deviating(lambda g: g, 1.0, 2.0, budget=2)
