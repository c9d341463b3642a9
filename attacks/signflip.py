"""Sign flipping: the Byzantine workers submit the honest direction reversed.

The classic "sign-flipping" / "bit-flipping" baseline (e.g. Allen-Zhu et al., ICLR 2021,
"Byzantine-Resilient Non-Convex Stochastic Gradient Descent"; Karimireddy, He, Jaggi, ICML 2021,
"Learning from History for Byzantine Robust Optimization"). Here the omniscient adversary of the
paper's section 2.2 flips the honest mean: every Byzantine worker submits -scale * mean(honest).
"""

import tensorflow as tf

from attacks import inputs
from attacks.attack import Attack
from attacks.registry import register


def signflip(honest, context, scale):
    """[f, d]: f copies of -scale * mean(honest). Option scale (default 1). Logs "scale"."""
    honest = inputs.honest_matrix("signflip", honest, context)
    context.log("scale", scale)
    return inputs.replicate(-scale * tf.reduce_mean(honest, axis=0), context.f)


register(Attack(
    "signflip",
    source='Allen-Zhu, Ebrahimian, Li, Alistarh, ICLR 2021, "Byzantine-Resilient Non-Convex '
           'Stochastic Gradient Descent"; Karimireddy, He, Jaggi, ICML 2021, "Learning from History for '
           'Byzantine Robust Optimization"',
    attack_fn=signflip,
    options={"scale": 1.0},
    description="sign flipping: -scale * mean(honest)",
))
