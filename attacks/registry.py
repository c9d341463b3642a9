"""Name -> attack registry, the same shape as the aggregation rules' (`aggregators.registry`).

An attack is a function `attack(honest [h, d], context, **options) -> [f, d]` usable inside a
`tf.function`; `context` is an `attacks.AttackContext`. It returns the f Byzantine gradients in
the dtype of `honest`. Magnitudes worth plotting (gamma_m, ...) go through `context.log`.
"""

_ATTACKS = {}


def register(name, description=""):
    """Decorator: registers `attack` under `name`."""

    def wrap(attack):
        if name in _ATTACKS:
            raise ValueError(f"attack {name!r} is registered twice")
        attack.attack_name = name
        attack.description = description
        _ATTACKS[name] = attack
        return attack

    return wrap


def names():
    """The registered attack names, sorted."""
    return sorted(_ATTACKS)


def get(name):
    """The attack registered under `name`; ValueError listing the known names otherwise."""
    try:
        return _ATTACKS[name]
    except KeyError:
        raise ValueError(f"unknown attack {name!r}; known attacks: {', '.join(names())}") from None
