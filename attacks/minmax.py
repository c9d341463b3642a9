"""Min-Max (Shejwalkar and Houmansadr, NDSS 2021, "Manipulating the Byzantine: Optimizing Model
Poisoning Attacks and Defenses for Federated Learning", section 4, AGR-agnostic attacks, and
Algorithm 1).

Every Byzantine worker submits B = mean(honest) + gamma p (`attacks.perturbed_mean`), gamma the
largest for which B is no farther from any honest gradient than the two farthest honest gradients
are from each other:

    max_i ||B - g_i||_2 <= max_{i, j} ||g_i - g_j||_2,

found by Algorithm 1's bisection. The attack ignores the server's rule (it is "AGR-agnostic"):
B hides within the honest gradients' diameter, where distance-based filters cannot tell it apart.
The honest diameter costs one O(h^2 d) distance matrix per step; each probe O(h).
"""

import tensorflow as tf

import aggregators
from attacks.attack import Attack
from attacks.perturbed_mean import perturbed_mean_attack, squared_distances
from attacks.registry import register


def minmax_condition(centered, stats):
    """`satisfied(gamma)`: max_i ||B(gamma) - g_i||^2 <= max_{i,j} ||g_i - g_j||^2 (the distances
    between the rows a_i = mean - g_i are those between the g_i)."""
    diameter = tf.reduce_max(aggregators.pairwise_distances(centered))
    return lambda gamma: tf.reduce_max(squared_distances(stats, gamma)) <= tf.square(diameter)


def minmax(honest, context, perturbation, gamma_init, iterations):
    """[f, d]: f copies of mean + gamma p, gamma the largest with max_i ||B - g_i|| within the
    honest diameter. Options: perturbation ("unit", "sign" or "std", the default), gamma_init
    (Algorithm 1's start, default 10; gamma stays below 2 gamma_init), iterations (bisection
    probes, default 30, >= 1; each O(h)). Logs "gamma"."""
    return perturbed_mean_attack("minmax", honest, context, perturbation, gamma_init, iterations,
                                 minmax_condition)


register(Attack(
    "minmax",
    source='Shejwalkar, Houmansadr, NDSS 2021, "Manipulating the Byzantine: Optimizing Model '
           'Poisoning Attacks and Defenses for Federated Learning", section 4 (Min-Max) and '
           'Algorithm 1',
    attack_fn=minmax,
    options={"perturbation": "std", "gamma_init": 10.0, "iterations": 30},
    description="Min-Max (Shejwalkar and Houmansadr 2021): mean + gamma p, as far from an honest "
                "gradient as the honest diameter",
))
