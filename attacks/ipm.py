"""Inner-product manipulation (Xie, Koyejo, Gupta, UAI 2019, "Fall of Empires: Breaking
Byzantine-tolerant SGD by Inner Product Manipulation", section 4).

Every Byzantine worker submits -epsilon * mean(honest): a small epsilon keeps the submission
inside the honest cloud for distance-based rules while pulling the aggregate's inner product with
the true gradient down (negative once enough Byzantine vectors are averaged in).
"""

import tensorflow as tf

from attacks import inputs
from attacks.attack import Attack
from attacks.registry import register


def ipm(honest, context, epsilon):
    """[f, d]: f copies of -epsilon * mean(honest). Option epsilon (default 0.1, the value
    Xie et al. use against Krum). Logs "epsilon"."""
    honest = inputs.honest_matrix("ipm", honest, context)
    context.log("epsilon", epsilon)
    return inputs.replicate(-epsilon * tf.reduce_mean(honest, axis=0), context.f)


register(Attack(
    "ipm",
    source='Xie, Koyejo, Gupta, UAI 2019, "Fall of Empires: Breaking Byzantine-tolerant SGD by '
           'Inner Product Manipulation", section 4',
    attack_fn=ipm,
    options={"epsilon": 0.1},
    description="inner-product manipulation (Xie et al. 2019): -epsilon * mean(honest)",
))
