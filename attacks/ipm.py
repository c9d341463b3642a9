"""Inner-product manipulation (Xie, Koyejo, Gupta, UAI 2019, "Fall of Empires: Breaking
Byzantine-tolerant SGD by Inner Product Manipulation", section 4).

Every Byzantine worker submits -epsilon * mean(honest): a small epsilon keeps the submission
inside the honest cloud for distance-based rules while pulling the aggregate's inner product with
the true gradient down (negative once enough Byzantine vectors are averaged in).
"""

import tensorflow as tf

from attacks import inputs, options as options_lib
from attacks.registry import register

DEFAULTS = {"epsilon": 0.1}


@register("ipm", "inner-product manipulation (Xie et al. 2019): -epsilon * mean(honest)")
def ipm(honest, context, **options):
    """[f, d]: f copies of -epsilon * mean(honest). Option epsilon (default 0.1, the value
    Xie et al. use against Krum). Logs "epsilon"."""
    settings = options_lib.resolve("ipm", options, DEFAULTS)
    honest = inputs.honest_matrix("ipm", honest, context)
    epsilon = settings["epsilon"]
    context.log("epsilon", epsilon)
    return inputs.replicate(-epsilon * tf.reduce_mean(honest, axis=0), context.f)
