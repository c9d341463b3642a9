"""Non-finite submissions: every Byzantine worker sends all-NaN (`nan`) or all-+Inf (`inf`).

The adversary of the paper's section 2.2 may submit arbitrary vectors; these two check that a
robust rule treats NaN and Inf as adversarial data (they must never reach its output), whereas
`average` lets them through.
"""

import tensorflow as tf

from attacks import inputs, options as options_lib
from attacks.registry import register


@register("nan", "every Byzantine coordinate is NaN")
def nan(honest, context, **options):
    """[f, d] of NaN. No options."""
    options_lib.resolve("nan", options, {})
    honest = inputs.honest_matrix("nan", honest, context)
    return tf.fill([context.f, honest.shape[1]], tf.constant(float("nan"), honest.dtype))


@register("inf", "every Byzantine coordinate is +Inf")
def inf(honest, context, **options):
    """[f, d] of +Inf. No options."""
    options_lib.resolve("inf", options, {})
    honest = inputs.honest_matrix("inf", honest, context)
    return tf.fill([context.f, honest.shape[1]], tf.constant(float("inf"), honest.dtype))
