"""Min-Sum (Shejwalkar and Houmansadr, NDSS 2021, "Manipulating the Byzantine: Optimizing Model
Poisoning Attacks and Defenses for Federated Learning", section 4, AGR-agnostic attacks, and
Algorithm 1).

Every Byzantine worker submits B = mean(honest) + gamma p (`attacks.perturbed_mean`), gamma the
largest for which B's sum of squared distances to the honest gradients is no larger than the
smallest such sum of an honest gradient:

    sum_i ||B - g_i||_2^2 <= min_i sum_j ||g_i - g_j||_2^2,

found by Algorithm 1's bisection. The attack ignores the server's rule (it is "AGR-agnostic"):
B scores like the most central honest gradient under Krum-like scores. The honest sums need no
distance matrix: with a_i = mean - g_i (which sum to 0), sum_j ||g_i - g_j||^2 =
h ||a_i||^2 + sum_j ||a_j||^2, O(h d) per step; each probe O(h).
"""

import tensorflow as tf

from attacks.attack import Attack
from attacks.perturbed_mean import perturbed_mean_attack, squared_distances
from attacks.registry import register


def minsum_condition(centered, stats):
    """`satisfied(gamma)`: sum_i ||B(gamma) - g_i||^2 <= min_i sum_j ||g_i - g_j||^2."""
    h = tf.cast(tf.shape(centered)[0], centered.dtype)
    honest_sums = h * stats.squared_norms + tf.reduce_sum(stats.squared_norms)
    smallest = tf.reduce_min(honest_sums)
    return lambda gamma: tf.reduce_sum(squared_distances(stats, gamma)) <= smallest


def minsum(honest, context, perturbation, gamma_init, iterations):
    """[f, d]: f copies of mean + gamma p, gamma the largest with sum_i ||B - g_i||^2 within the
    smallest honest sum. Options: perturbation ("unit", "sign" or "std", the default), gamma_init
    (Algorithm 1's start, default 10; gamma stays below 2 gamma_init), iterations (bisection
    probes, default 30, >= 1; each O(h)). Logs "gamma"."""
    return perturbed_mean_attack("minsum", honest, context, perturbation, gamma_init, iterations,
                                 minsum_condition)


register(Attack(
    "minsum",
    source='Shejwalkar, Houmansadr, NDSS 2021, "Manipulating the Byzantine: Optimizing Model '
           'Poisoning Attacks and Defenses for Federated Learning", section 4 (Min-Sum) and '
           'Algorithm 1',
    attack_fn=minsum,
    options={"perturbation": "std", "gamma_init": 10.0, "iterations": 30},
    description="Min-Sum (Shejwalkar and Houmansadr 2021): mean + gamma p, with an honest "
                "gradient's smallest sum of squared distances",
))
