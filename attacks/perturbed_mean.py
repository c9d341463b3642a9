"""The shared part of `minmax` and `minsum` (Shejwalkar and Houmansadr, NDSS 2021, "Manipulating the
Byzantine: Optimizing Model Poisoning Attacks and Defenses for Federated Learning", section 4, the
AGR-agnostic attacks, and Algorithm 1).

Every Byzantine worker submits

    B(gamma) = mean(honest) + gamma p,

p a fixed perturbation (`PERTURBATIONS`): "unit" -mean / ||mean||_2, "sign" -sign(mean), "std"
-std (per coordinate over the honest gradients, ddof 0; the authors' code uses the unbiased std,
which only rescales gamma by sqrt((h - 1) / h): the same B up to the search's resolution). gamma
is the largest value for which B(gamma) still meets the attack's condition on its distances to
the honest gradients g_i (`minmax`: max_i ||B - g_i|| <= max_{i,j} ||g_i - g_j||; `minsum`:
sum_i ||B - g_i||^2 <= min_i sum_j ||g_i - g_j||^2). Each condition holds at gamma = 0 (the
mean is no farther from each g_i than the farthest other one, and has the smallest sum of squared
distances) and defines an interval of gamma (a sum or a max of convex quadratics in gamma), so
Algorithm 1's bisection applies (`largest_gamma`).

Distances in closed form. With a_i = mean - g_i, computed once per step (O(h d)),

    ||B(gamma) - g_i||^2 = ||a_i||^2 + 2 gamma <a_i, p> + gamma^2 ||p||^2,

so each probe of the bisection costs O(h) (`Statistics`, `squared_distances`), never O(h d): at
d = 1.76e6 the whole search costs about one pass over the honest gradients.
"""

import math
from typing import NamedTuple

import tensorflow as tf

from attacks import inputs, options as options_lib

PERTURBATIONS = ("unit", "sign", "std")


def perturbation(honest, kind):
    """p [d] for `kind` in PERTURBATIONS: -mean/||mean||_2 (0 if mean = 0), -sign(mean) or -std."""
    mean = tf.reduce_mean(honest, axis=0)
    if kind == "unit":
        return -tf.math.divide_no_nan(mean, tf.norm(mean))
    if kind == "sign":
        return -tf.sign(mean)
    return -tf.math.reduce_std(honest, axis=0)


class Statistics(NamedTuple):
    """What each probe needs, from a_i = mean - g_i and p (module doc)."""

    squared_norms: tf.Tensor  # [h] ||a_i||^2
    inner_products: tf.Tensor  # [h] <a_i, p>
    perturbation_squared_norm: tf.Tensor  # scalar ||p||^2


def statistics(centered, p):
    """`Statistics` of `centered` [h, d] (rows a_i = mean - g_i) and p [d]: O(h d), once per step."""
    return Statistics(squared_norms=tf.reduce_sum(tf.square(centered), axis=1),
                      inner_products=tf.linalg.matvec(centered, p),
                      perturbation_squared_norm=tf.reduce_sum(tf.square(p)))


def squared_distances(stats, gamma):
    """[h] ||B(gamma) - g_i||^2 = ||a_i||^2 + 2 gamma <a_i, p> + gamma^2 ||p||^2, in O(h)."""
    return (stats.squared_norms + 2 * gamma * stats.inner_products
            + tf.square(gamma) * stats.perturbation_squared_norm)


def largest_gamma(satisfied, gamma_init, iterations, dtype):
    """Algorithm 1's bisection: the largest gamma found with `satisfied(gamma)` true.

    gamma starts at `gamma_init` with step gamma_init / 2; each of the `iterations` probes moves
    gamma up by the step if `satisfied(gamma)` (the new best), down otherwise, then halves the
    step. The probes stay in (0, 2 gamma_init), so the result is in [0, 2 gamma_init): 0 if no
    probe is satisfied. For a condition that holds on [0, t] and fails above t, with
    t < 2 gamma_init - gamma_init / 2^(iterations - 1), the result lies in
    [t - gamma_init / 2^(iterations - 1), t]. A `tf.while_loop` of exactly `iterations` probes.
    """
    gamma = tf.constant(gamma_init, dtype)
    start = (gamma, gamma / 2, tf.zeros([], dtype))

    def probe(gamma, step, best):
        ok = tf.convert_to_tensor(satisfied(gamma))
        return tf.where(ok, gamma + step, gamma - step), step / 2, tf.where(ok, gamma, best)

    _, _, best = tf.while_loop(lambda *state: True, probe, start, maximum_iterations=iterations)
    return best


def perturbed_mean_attack(attack_name, honest, context, perturbation_kind, gamma_init, iterations,
                          condition):
    """[f, d]: f copies of B(gamma) = mean + gamma p, gamma from `largest_gamma`. Logs "gamma".

    `condition(centered [h, d], stats)` -> `satisfied(gamma)` (scalar bool tensor), built once per
    step from the rows a_i = mean - g_i and their `Statistics`.
    """
    options_lib.require(attack_name, perturbation_kind in PERTURBATIONS,
                        f"perturbation must be one of {', '.join(PERTURBATIONS)}, "
                        f"got perturbation={perturbation_kind!r}")
    options_lib.require(attack_name, math.isfinite(gamma_init) and gamma_init > 0,
                        f"gamma_init must be a finite number > 0, got gamma_init={gamma_init!r}")
    options_lib.require(attack_name, iterations >= 1,
                        f"iterations must be >= 1, got iterations={iterations}")
    honest = inputs.honest_matrix(attack_name, honest, context)
    mean = tf.reduce_mean(honest, axis=0)
    p = perturbation(honest, perturbation_kind)
    centered = mean[None, :] - honest
    satisfied = condition(centered, statistics(centered, p))
    gamma = largest_gamma(satisfied, gamma_init, iterations, honest.dtype)
    context.log("gamma", gamma)
    return inputs.replicate(mean + gamma * p, context.f)
