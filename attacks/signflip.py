"""Sign flipping: the Byzantine workers submit the honest direction reversed.

The classic "sign-flipping" / "bit-flipping" baseline (e.g. Allen-Zhu et al., ICLR 2021,
"Byzantine-Resilient Non-Convex Stochastic Gradient Descent"; Karimireddy, He, Jaggi, ICML 2021,
"Learning from History for Byzantine Robust Optimization"). Here the omniscient adversary of the
paper's section 2.2 flips the honest mean: every Byzantine worker submits -scale * mean(honest).
"""

import tensorflow as tf

from attacks import inputs, options as options_lib
from attacks.registry import register

DEFAULTS = {"scale": 1.0}


@register("signflip", "sign flipping: -scale * mean(honest)")
def signflip(honest, context, **options):
    """[f, d]: f copies of -scale * mean(honest). Option scale (default 1). Logs "scale"."""
    settings = options_lib.resolve("signflip", options, DEFAULTS)
    honest = inputs.honest_matrix("signflip", honest, context)
    scale = settings["scale"]
    context.log("scale", scale)
    return inputs.replicate(-scale * tf.reduce_mean(honest, axis=0), context.f)
