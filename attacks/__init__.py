"""Attacks: the f Byzantine workers' gradients, from everything the omniscient adversary sees.

`attacks.get(name)(honest [h, d], context, **options) -> [f, d]`; `attacks.get(name)` is an
`attacks.Attack` (`attacks.attack`: name, source, options, ...), registered by `attacks.register`.
`attacks.active(step, start, stop)`: the attack window (`attacks.window`).
"""

from attacks.attack import Attack
from attacks.context import AttackContext
from attacks.registry import get, names, register
from attacks.window import active
from attacks import none  # noqa: F401  (registers the attacks)
from attacks import (  # noqa: F401  (each module registers its attack)
    alie, gaussian, ipm, labelflip, linf, lp, mimic, minmax, minsum, nonfinite, signflip)

__all__ = ["Attack", "AttackContext", "active", "get", "names", "register"]
