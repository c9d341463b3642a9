"""Name -> rule and name -> pre-aggregation step registries (`aggregators.get`, `names`, `steps`,
`aggregate`, `pre_aggregate`). A name joining steps and a rule with "+" is a chain
(`aggregators.chain`), built on first use and cached."""

_RULES = {}
_STEPS = {}


def register(rule, *aliases):
    """Registers `rule` under its name and any aliases; returns the rule."""
    for name in (rule.name, *aliases):
        if name in _RULES or name in _STEPS:
            raise ValueError(f"aggregation rule {name!r} is registered twice (as a rule or a "
                             "step)")
        _RULES[name] = rule
    return rule


def register_step(step):
    """Registers the pre-aggregation `step` under its name; returns the step."""
    if step.name in _STEPS or step.name in _RULES or "+" in step.name or "." in step.name:
        raise ValueError(f"pre-aggregation step {step.name!r} is registered twice or has a "
                         "'+' or '.' in its name")
    _STEPS[step.name] = step
    return step


def names():
    """The registered rule names (aliases included), sorted. Chains are not listed: they are
    composed from `steps()` and these names, e.g. "arc+nnm+trimmed-mean"."""
    return sorted(_RULES)


def steps():
    """The registered pre-aggregation step names, sorted."""
    return sorted(_STEPS)


def get_step(name):
    """The pre-aggregation step registered under `name`; ValueError listing them otherwise."""
    try:
        return _STEPS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown pre-aggregation step {name!r}; known steps: "
                         f"{', '.join(steps())}") from None


def get(name):
    """The rule registered under `name`, or the chain `name` names ("nnm+krum"); ValueError
    naming what is wrong otherwise."""
    if isinstance(name, str) and "+" in name:
        from aggregators import chain  # chain imports this module
        return chain.build(name)
    if isinstance(name, str) and name in _STEPS:
        raise ValueError(f"{name} is a pre-aggregation step, not a rule: end a chain with a rule, "
                         f"e.g. '{name}+krum' (aggregators.names())")
    try:
        return _RULES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown aggregation rule {name!r}; known rules: "
                         f"{', '.join(names())}") from None


def aggregate(name, gradients, f, **options):
    """`get(name)(gradients, f, **options)`: the aggregated [d] gradient."""
    return get(name)(gradients, f, **options)


def pre_aggregate(name, gradients, f, **options):
    """The [m, d] output of the step or chain of steps `name` ("bucketing", "arc+nnm"), options
    written as in a chain ("bucketing.s": 2)."""
    from aggregators import chain
    return chain.pre_aggregate(name, gradients, f, **options)
