"""Name -> rule registry (`aggregators.get`, `aggregators.names`, `aggregators.aggregate`)."""

_RULES = {}


def register(rule, *aliases):
    """Registers `rule` under its name and any aliases; returns the rule."""
    for name in (rule.name, *aliases):
        if name in _RULES:
            raise ValueError(f"aggregation rule {name!r} is registered twice")
        _RULES[name] = rule
    return rule


def names():
    """The registered names (aliases included), sorted."""
    return sorted(_RULES)


def get(name):
    """The rule registered under `name`; ValueError listing the known names otherwise."""
    try:
        return _RULES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown aggregation rule {name!r}; known rules: "
                         f"{', '.join(names())}") from None


def aggregate(name, gradients, f, **options):
    """`get(name)(gradients, f, **options)`: the aggregated [d] gradient."""
    return get(name)(gradients, f, **options)
