"""Non-finite submissions: every Byzantine worker sends all-NaN (`nan`) or all-+Inf (`inf`).

The adversary of the paper's section 2.2 may submit arbitrary vectors; these two check that a
robust rule treats NaN and Inf as adversarial data (they must never reach its output), whereas
`average` lets them through.
"""

import tensorflow as tf

from attacks import inputs
from attacks.attack import Attack
from attacks.registry import register

SOURCE = ('El Mhamdi, Guerraoui, Rouault, ICML 2018, "The Hidden Vulnerability of Distributed '
          'Learning in Byzantium", section 2.2 (the Byzantine workers may submit arbitrary vectors)')


def nan(honest, context):
    """[f, d] of NaN. No options."""
    honest = inputs.honest_matrix("nan", honest, context)
    return tf.fill([context.f, honest.shape[1]], tf.constant(float("nan"), honest.dtype))


def inf(honest, context):
    """[f, d] of +Inf. No options."""
    honest = inputs.honest_matrix("inf", honest, context)
    return tf.fill([context.f, honest.shape[1]], tf.constant(float("inf"), honest.dtype))


register(Attack("nan", source=SOURCE, attack_fn=nan, description="every Byzantine coordinate is NaN"))
register(Attack("inf", source=SOURCE, attack_fn=inf, description="every Byzantine coordinate is +Inf"))
