"""Brute's exact acceptance criterion at n = 2f + 1 in closed form, against the `brute` rule itself."""

import numpy as np
import pytest
import tensorflow as tf

import aggregators
import attacks
from attacks.brute_leeway import brute_gamma_m


def shifted_gradients(honest, gamma, coordinate, f):
    direction = np.ones(honest.shape[1]) if coordinate is None else np.eye(honest.shape[1])[coordinate]
    b = honest.mean(axis=0) + gamma * direction
    return np.concatenate([honest, np.tile(b, (f, 1))])


def brute_selects_b(honest, gamma, coordinate, f, norm):
    gradients = shifted_gradients(honest, gamma, coordinate, f)
    selected = aggregators.get("brute").select(tf.constant(gradients), f, norm=norm).numpy()
    return selected.max() >= len(honest)


CASES = [(2, 5, 3, 2), (3, 12, -1, 2), (4, 30, 0, 2), (3, 12, 4, 1), (3, 12, 4, "inf"),
         (2, 6, None, 2), (3, 20, None, "inf"), (4, 40, None, "inf")]


@pytest.mark.parametrize("f, d, coordinate, norm", CASES)
def test_closed_form_is_brutes_threshold(f, d, coordinate, norm):
    for seed in range(3):
        honest = np.random.default_rng(seed).normal(size=(f + 1, d))
        gamma_m = brute_gamma_m(honest, coordinate, norm)
        assert gamma_m > 0
        # the rule itself, enumerating its C(2f + 1, f) subsets: selected just below, not just above
        assert brute_selects_b(honest, gamma_m * (1 - 1e-6), coordinate, f, norm)
        assert not brute_selects_b(honest, gamma_m * (1 + 1e-6), coordinate, f, norm)
        assert not brute_selects_b(honest, 2 * gamma_m, coordinate, f, norm)


@pytest.mark.parametrize("f, d, coordinate, norm", [(3, 12, -1, 2), (4, 30, None, "inf")])
def test_attack_search_brackets_the_closed_form(f, d, coordinate, norm):
    honest = np.random.default_rng(5).normal(size=(f + 1, d))
    gar_options = {} if norm == 2 else {"norm": norm}
    context = attacks.AttackContext(n=2 * f + 1, f=f, gar="brute", gar_options=gar_options,
                                    step=tf.constant(0, tf.int64), params=tf.zeros([1]),
                                    seed=tf.zeros([2], tf.int32))
    name, options = ("lp", {"coordinate": coordinate}) if coordinate is not None else ("linf", {})
    attacks.get(name)(tf.constant(honest), context, budget=40, **options)
    exact = brute_gamma_m(honest, coordinate, norm)
    assert float(context.logged["gamma"]) == pytest.approx(exact, rel=1e-6)


def test_hand_computed_two_honest():
    # h = 2: V_1 = (0, 0), V_2 = (2, 0), mean (1, 0), D = 2; c_1 = (1, 0), c_2 = (-1, 0).
    # E = e_1 (coordinate 1, l2): c_i1 = 0, r_i = |c_i0| = 1, ends sqrt(4 - 1) -> gamma_m = sqrt(3).
    honest = np.array([[0.0, 0.0], [2.0, 0.0]])
    assert brute_gamma_m(honest, 1, 2) == pytest.approx(np.sqrt(3.0))
    # E = e_0: ends -c_i0 + 2 = 1 and 3 -> 3 (B = (4, 0) is at distance 2 from V_2: a tie, rejected)
    assert brute_gamma_m(honest, 0, 2) == pytest.approx(3.0)
    assert brute_gamma_m(honest, 0, "inf") == pytest.approx(3.0)


def test_errors():
    with pytest.raises(ValueError, match="h >= 2"):
        brute_gamma_m(np.zeros((1, 3)), 0)
    with pytest.raises(ValueError, match="norm=1"):
        brute_gamma_m(np.zeros((3, 3)), None, 1)
    with pytest.raises(ValueError, match=r"coordinate must be in \[-d, d\) = \[-3, 3\), got coordinate=3"):
        brute_gamma_m(np.zeros((3, 3)), 3)
