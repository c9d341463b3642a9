"""Attacks: the f Byzantine workers' gradients, from everything the omniscient adversary sees.

`attacks.get(name)(honest [h, d], context, **options) -> [f, d]`; see `attacks.registry`.
"""

from attacks.context import AttackContext
from attacks.registry import get, names, register
from attacks import none  # noqa: F401  (registers the attacks)

__all__ = ["AttackContext", "get", "names", "register"]
