"""The attack object: a named pure function, its citation, its options and what it needs.

The same shape as the aggregation rules' `aggregators.rule.Rule`; each file of `attacks/` defines
its function and ends with one `register(Attack(...))` line (`attacks.registry`).
"""

import dataclasses
import inspect
import types
from typing import Any, Callable, Mapping

from attacks import options as options_lib

# What the training step can hand an attack (`Attack.needs`). Today: the h = n - f honest
# gradients of the step. An attack that needs more (for example its own mini-batches, or the
# model, to compute gradients of its own) adds its name here and the training step supplies it.
INPUTS = ("honest",)


@dataclasses.dataclass(frozen=True)
class Attack:
    """What the f Byzantine workers submit (paper, section 2.2: an omniscient adversary).

    Attributes:
      name: registry name, e.g. "lp" (`--attack=NAME`).
      source: citation of the paper that defines the attack (authors, venue, year, title; the
        section of El Mhamdi et al. 2018 for `lp` and `linf`).
      attack_fn: `(honest [h, d] tf.Tensor, context, **settings) -> [f, d]`, usable inside
        `tf.function`, in the dtype of `honest`; `context` is an `attacks.AttackContext`;
        `settings` holds every option, resolved (see `resolve`). Magnitudes worth plotting go
        through `context.log`.
      options: option name -> default. Given values are converted to their default's type
        (`attacks.options`); a default of None means "computed by the attack unless given".
      honest: True only for `none`: the training loop then computes real gradients for all n
        workers and never calls the attack.
      needs: what the attack takes from the training step, among `INPUTS`; every attack today
        needs only ("honest",), the honest gradients (`none`: nothing). Future attacks may need
        more (e.g. their own mini-batches), which the training step would then have to supply.
      description: one line for listings.
    """

    name: str
    source: str
    attack_fn: Callable
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    honest: bool = False
    needs: tuple = ("honest",)
    description: str = ""

    def __post_init__(self):
        object.__setattr__(self, "options", types.MappingProxyType(dict(self.options)))
        object.__setattr__(self, "needs", tuple(self.needs))
        unknown = [need for need in self.needs if need not in INPUTS]
        if unknown:
            raise ValueError(f"attack {self.name!r} needs {unknown[0]!r}, which the training step does "
                             f"not provide; it provides: {', '.join(INPUTS)}")
        _check_signature(self.name, self.attack_fn, self.options)

    @property
    def defaults(self):
        """A dict of the options' defaults (None: computed by the attack unless given)."""
        return dict(self.options)

    def resolve(self, options):
        """The settings the attack runs with: the defaults updated with `options`, each converted
        to its default's type. ValueError naming the attack and the option for an unknown option
        or a value of the wrong type."""
        return options_lib.resolve(self.name, options, self.options)

    def __call__(self, honest, context, **options):
        """The f Byzantine gradients [f, d], in the dtype of `honest` ([h, d])."""
        return self.attack_fn(honest, context, **self.resolve(options))


def _check_signature(name, attack_fn, options):
    """attack_fn must take (honest, context) then exactly the options, by keyword."""
    try:
        parameters = list(inspect.signature(attack_fn).parameters.values())
    except (TypeError, ValueError):  # a builtin or C callable: nothing to check
        return
    if any(p.kind == p.VAR_KEYWORD for p in parameters):
        return
    keywords = {p.name for p in parameters[2:] if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    if len(parameters) < 2 or keywords != set(options):
        raise ValueError(f"attack {name!r}: attack_fn must take (honest, context, "
                         f"{', '.join(sorted(options)) or 'no options'}) to match its options")
