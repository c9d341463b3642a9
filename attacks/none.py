"""No attack: the f "Byzantine" workers behave honestly.

The training loop recognises this attack (`attack.honest = True`) and computes real gradients for
all n workers on their own mini-batches, as in the paper's Figure 6 (n = 39 workers, no adversary,
f declared to 9). Called directly it is never used, and says so.
"""

from attacks.registry import register


@register("none", "no adversary: all n workers are honest")
def none(honest, context):
    raise RuntimeError("attack 'none' has no Byzantine gradients: the training loop computes "
                       "honest gradients for all n workers instead")


none.honest = True
