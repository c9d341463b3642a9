"""Inner-product manipulation (Xie, Koyejo, Gupta, UAI 2019, "Fall of Empires: Breaking
Byzantine-tolerant SGD by Inner Product Manipulation", section 4).

Every Byzantine worker submits -epsilon * mean(honest): a small epsilon keeps the submission
inside the honest cloud for distance-based rules while pulling the aggregate's inner product with
the true gradient down (negative once enough Byzantine vectors are averaged in).

epsilon=auto: the omniscient adversary (El Mhamdi et al. 2018, section 2.2) picks, at every step,
the epsilon that maximises ||pipeline(honest, f copies of -epsilon mean) - mean||_2 against the
server's whole pipeline, by the paper's bounded search (`attacks.factor_search`, `budget`
evaluations) over epsilon in [epsilon_max / 16, epsilon_max], with

    epsilon_max = max(1, sqrt(h - 1) ||std||_2 / ||mean||_2 - 1)

(h = n - f honest, std per coordinate, ddof 0). Why: ||B - mean||_2 = (1 + epsilon) ||mean||_2,
and at epsilon_max it equals sqrt(h - 1) ||std||_2, which by Samuelson's inequality on rows is at
least the distance of the farthest honest gradient from the mean: past it B is farther out than
every honest gradient, so distance-based filters discard it and IPM's premise (hide near the
honest cloud) is gone; it is also the reach of `alie`'s z=auto bracket, z <= sqrt(h - 1). The
floor of 1 keeps B = -mean (sign flipping) within reach when the honest gradients agree closely.
Rules that are not robust (average) simply peak at the bracket's end.
"""

import math

import tensorflow as tf

from attacks import factor_search, inputs, options as options_lib
from attacks.attack import Attack
from attacks.registry import register


def auto_epsilon_bracket(honest):
    """epsilon_max (module doc) as a scalar tensor; 1 when mean(honest) = 0."""
    mean_norm = tf.norm(tf.reduce_mean(honest, axis=0))
    spread = math.sqrt(max(honest.shape[0] - 1, 0)) * tf.norm(tf.math.reduce_std(honest, axis=0))
    return tf.maximum(tf.math.divide_no_nan(spread, mean_norm) - 1, tf.ones_like(mean_norm))


def ipm(honest, context, epsilon, budget):
    """[f, d]: f copies of -epsilon * mean(honest). Option epsilon: a number (default 0.1, the
    value Xie et al. use against Krum) or "auto" (the epsilon that displaces the server's pipeline
    most, searched at every step with `budget` evaluations, default 16, >= 3). Logs "epsilon",
    and for epsilon=auto "displacement" (||pipeline - mean(honest)||_2 for the submitted
    gradients)."""
    honest = inputs.honest_matrix("ipm", honest, context)
    if epsilon == options_lib.AUTO:
        options_lib.require("ipm", budget >= 3, f"budget must be >= 3 evaluations of the "
                                                f"server's pipeline, got budget={budget}")
        mean = tf.reduce_mean(honest, axis=0)
        epsilon, displacement = factor_search.most_displacing(
            honest, context, lambda epsilon: -epsilon * mean, auto_epsilon_bracket(honest), budget)
        context.log("epsilon", epsilon)
        context.log("displacement", displacement)
        return inputs.replicate(-epsilon * mean, context.f)
    options_lib.require("ipm", math.isfinite(epsilon), f"epsilon must be finite, got epsilon={epsilon}")
    context.log("epsilon", epsilon)
    return inputs.replicate(-epsilon * tf.reduce_mean(honest, axis=0), context.f)


register(Attack(
    "ipm",
    source='Xie, Koyejo, Gupta, UAI 2019, "Fall of Empires: Breaking Byzantine-tolerant SGD by '
           'Inner Product Manipulation", section 4',
    attack_fn=ipm,
    options={"epsilon": 0.1, "budget": 16},
    auto=("epsilon",),
    description="inner-product manipulation (Xie et al. 2019): -epsilon * mean(honest) "
                "(epsilon=auto: the epsilon that displaces the server's pipeline most)",
))
