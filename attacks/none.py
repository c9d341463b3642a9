"""No attack: the f "Byzantine" workers behave honestly.

The training loop recognises this attack (`Attack.honest`) and computes real gradients for
all n workers on their own mini-batches, as in the paper's Figure 6 (n = 39 workers, no adversary,
f declared to 9). Called directly it is never used, and says so.
"""

from attacks.attack import Attack
from attacks.registry import register


def none(honest, context):
    raise RuntimeError("attack 'none' has no Byzantine gradients: the training loop computes "
                       "honest gradients for all n workers instead")


register(Attack(
    "none",
    source='El Mhamdi, Guerraoui, Rouault, ICML 2018, "The Hidden Vulnerability of Distributed '
           'Learning in Byzantium", Figure 6 (no adversary; f is only declared to the rule)',
    attack_fn=none,
    honest=True,
    needs=(),
    description="no adversary: all n workers are honest",
))
