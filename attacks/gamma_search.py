"""Bounded, in-graph searches for the attack magnitude gamma_m (paper, section 3.2).

The paper estimates gamma_m "by a simple linear regression"; here it is found by a search with a
fixed budget of evaluations of the aggregation rule per step. Both searches are a `tf.while_loop`
of exactly `budget` iterations, each picking its probe with `tf.where` (no data-dependent control
flow), so they run inside `tf.function`, trace the rule once, and cost the same at every step.
"""

import math

import numpy as np
import tensorflow as tf


def largest_accepted(accepts, scale, budget):
    """The largest gamma >= 0 with `accepts(gamma)` true, for a rule that selects submissions.

    `accepts(gamma)` -> scalar bool tensor: whether the rule selects B(gamma). Acceptance is assumed
    to hold below some threshold and fail above it. Procedure, with lo = 0 (assumed accepted) and
    hi = +Inf (known rejected) at the start, one evaluation per iteration:
      1. no rejection seen yet: probe `scale`, then 2 lo (doubling up while accepted);
      2. no acceptance seen yet: probe hi / 2 (halving down while rejected);
      3. both seen: probe (lo + hi) / 2 (bisection).
    Once both are seen, hi <= 2 lo; each later iteration halves hi - lo.
    Returns (lo, hi): lo the largest accepted probe (0 if none was), hi the smallest rejected probe
    (+Inf if none was: lo is then `scale * 2**(budget - 1)`, the search's upper bound).
    A zero, negative or non-finite `scale` returns lo = 0.
    """
    if budget < 1:
        raise ValueError(f"the gamma search needs budget >= 1 rule evaluations, got budget={budget}")
    scale = tf.convert_to_tensor(scale)
    usable = tf.logical_and(tf.math.is_finite(scale), scale > 0)
    scale = tf.where(usable, scale, tf.zeros_like(scale))
    lo = tf.zeros_like(scale)
    hi = tf.fill(tf.shape(scale), tf.constant(math.inf, scale.dtype))

    def iteration(lo, hi):
        found_lo = lo > 0
        found_hi = tf.math.is_finite(hi)
        probe = tf.where(found_hi,
                         tf.where(found_lo, (lo + hi) / 2, hi / 2),
                         tf.where(found_lo, 2 * lo, scale))
        accepted = tf.logical_and(tf.convert_to_tensor(accepts(probe)), probe > 0)
        return (tf.where(accepted, probe, lo),
                tf.where(tf.logical_or(accepted, probe <= 0), hi, probe))

    lo, hi = tf.while_loop(lambda lo, hi: True, iteration, (lo, hi), maximum_iterations=budget)
    return lo, hi


def most_deviating(deviation, low, high, budget):
    """The gamma in [low, high] that maximises `deviation(gamma)`, for rules that do not select.

    `deviation(gamma)` -> scalar tensor, the value to maximise (`attacks.shift`: the displacement
    of GAR(honest + f B(gamma)) along the attack direction); non-finite values count as -Inf. Procedure, in log(gamma) (gamma_m spans orders of magnitude):
      1. grid: `budget // 2 + 1` points evenly spaced in log(gamma) from `low` to `high`
         (both included); keep the best point (the smallest gamma among equal values);
      2. refinement, one evaluation per iteration for the rest of the budget: the bracket is the
         best grid point's two neighbours; probe the middle of the larger of [left, best] and
         [best, right]; a better probe becomes the best and the bracket shrinks around it,
         otherwise the bracket shrinks to exclude the probe's far side (dichotomous search; a
         probe below the best also wins a tie, so plateaus resolve toward their smallest gamma).
    Returns (best gamma, its value). `low` and `high` must be > 0 (clamped to the smallest
    positive normal and to `low` otherwise).
    """
    if budget < 3:
        raise ValueError(f"the gamma search needs budget >= 3 rule evaluations for rules that do "
                         f"not select, got budget={budget}")
    low = tf.convert_to_tensor(low)
    dtype = low.dtype
    tiny = tf.constant(_tiny(dtype), dtype)
    low = tf.where(tf.logical_and(tf.math.is_finite(low), low > tiny), low, tiny)
    high = tf.cast(high, dtype)
    high = tf.where(tf.logical_and(tf.math.is_finite(high), high > low), high, low)
    points = budget // 2 + 1
    log_low, log_high = tf.math.log(low), tf.math.log(high)
    fractions = tf.constant([k / (points - 1) for k in range(points)], dtype)
    grid = log_low + fractions * (log_high - log_low)

    minus_inf = tf.constant(-math.inf, dtype)

    def iteration(i, best, best_value, left, right):
        # grid phase (i < points): probe grid[i]; refinement: the middle of the larger side
        in_grid = i < points
        go_left = (best - left) >= (right - best)
        refine = tf.where(go_left, (left + best) / 2, (best + right) / 2)
        probe = tf.where(in_grid, grid[tf.minimum(i, points - 1)], refine)
        value = _finite_or_minus_inf(deviation(tf.exp(probe)))
        # grid: strictly better (the first maximum: the smallest gamma on ties); its neighbours
        # bracket it. Refinement: better, the bracket becomes the probe's side with the old best
        # as an end; worse, the probe becomes an end.
        better = tf.where(in_grid | ~go_left, value > best_value, value >= best_value)
        grid_left = grid[tf.clip_by_value(i - 1, 0, points - 1)]
        grid_right = grid[tf.minimum(i + 1, points - 1)]
        refined_left = tf.where(better, tf.where(go_left, left, best), tf.where(go_left, probe, left))
        refined_right = tf.where(better, tf.where(go_left, best, right), tf.where(go_left, right, probe))
        left = tf.where(in_grid, tf.where(better, grid_left, left), refined_left)
        right = tf.where(in_grid, tf.where(better, grid_right, right), refined_right)
        return (i + 1, tf.where(better, probe, best), tf.where(better, value, best_value), left, right)

    start = (tf.constant(0), grid[0], minus_inf, grid[0], grid[0])
    _, best, best_value, _, _ = tf.while_loop(lambda *state: True, iteration, start,
                                              maximum_iterations=budget)
    return tf.exp(best), best_value


def _finite_or_minus_inf(value):
    value = tf.convert_to_tensor(value)
    return tf.where(tf.math.is_finite(value), value, tf.constant(-math.inf, value.dtype))


def _tiny(dtype):
    return float(np.finfo(tf.as_dtype(dtype).as_numpy_dtype).tiny)
