"""The attack object: a named pure function, its citation, its options and what it needs.

The same shape as the aggregation rules' `aggregators.rule.Rule`; each file of `attacks/` defines
its function and ends with one `register(Attack(...))` line (`attacks.registry`).
"""

import dataclasses
import inspect
import types
from typing import Any, Callable, Mapping, Optional

from attacks import options as options_lib

# What the training step can hand an attack (`Attack.needs`): "honest", the h = n - f honest
# submissions of the step (gradients, or momenta); "state", variables kept across steps
# (`Attack.state_spec`, `AttackContext.state`); "flipped_gradients", the f Byzantine workers'
# own submissions computed on their mini-batches with labels y -> C - 1 - y
# (`AttackContext.flipped_gradients`, `attacks.labelflip`). An attack that needs more adds its
# name here and the training step (`training.step`) supplies it.
INPUTS = ("honest", "state", "flipped_gradients")


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
      auto: the numeric options that also take the string "auto": the attack then searches for
        the value at every step (`alie`'s z, `ipm`'s epsilon); the function receives "auto".
      honest: True only for `none`: the training loop then computes real gradients for all n
        workers and never calls the attack.
      needs: what the attack takes from the training step, among `INPUTS`; every attack today
        needs only ("honest",), the honest gradients (`none`: nothing). Future attacks may need
        more (e.g. their own mini-batches), which the training step would then have to supply.
      description: one line for listings.
      state_spec: for an attack that needs "state" (kept across steps, e.g. `mimic`'s direction):
        `(n, f, d) -> {name: (shape, dtype name)}`; the training step creates one zero-filled
        variable per entry, checkpoints it, passes its value as `context.state[name]` and stores
        what the attack writes with `context.set_state(name, value)`.
    """

    name: str
    source: str
    attack_fn: Callable
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    honest: bool = False
    needs: tuple = ("honest",)
    description: str = ""
    auto: tuple = ()
    state_spec: Optional[Callable] = None

    def __post_init__(self):
        object.__setattr__(self, "options", types.MappingProxyType(dict(self.options)))
        object.__setattr__(self, "needs", tuple(self.needs))
        object.__setattr__(self, "auto", tuple(self.auto))
        for option in self.auto:
            if option not in self.options or not (self.options[option] is None
                                                   or type(self.options[option]) is float):
                raise ValueError(f"attack {self.name!r}: auto option {option!r} must be an option "
                                 f"whose default is a float or None")
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
        to its default's type ("auto" kept as is for the options in `auto`). ValueError naming the
        attack and the option for an unknown option or a value of the wrong type."""
        return options_lib.resolve(self.name, options, self.options, self.auto)

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
