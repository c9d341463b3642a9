"""Name -> attack registry, the same shape as the aggregation rules' (`aggregators.registry`).

An attack is an `attacks.Attack` record (`attacks.attack`): its name, its citation, its function
`(honest [h, d], context, **settings) -> [f, d]` and its options with their defaults. Each file of
`attacks/` defines the function and ends with one registration line, for example

    register(Attack("ipm", source="Xie, Koyejo, Gupta, UAI 2019, ...", attack_fn=ipm,
                    options={"epsilon": 0.1}, description="..."))

and is imported in `attacks/__init__.py`. `get(name)(honest, context, **options)` checks the
options, then runs the function.
"""

from attacks.attack import Attack

_ATTACKS = {}


def register(attack):
    """Registers the `Attack` `attack` under its name; returns it. ValueError if the name is taken."""
    if not isinstance(attack, Attack):
        raise TypeError(f"register takes an attacks.Attack, got {attack!r}")
    if attack.name in _ATTACKS:
        raise ValueError(f"attack {attack.name!r} is registered twice")
    _ATTACKS[attack.name] = attack
    return attack


def names():
    """The registered attack names, sorted."""
    return sorted(_ATTACKS)


def get(name):
    """The attack registered under `name`; ValueError listing the known names otherwise."""
    try:
        return _ATTACKS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown attack {name!r}; known attacks: {', '.join(names())}") from None
