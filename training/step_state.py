"""The training step's state beside the parameters and the step: the worker momenta and the attack's state.

- `momenta` [workers, d] (`training.momentum`): one row per worker that computes gradients
  (`training.workers.computing_workers`), zeros at the start; None without momentum (beta = 0).
- `attack` (name -> variable): the state an attack that needs "state" declares through its
  `Attack.state_spec(n, f, d)` (e.g. `mimic`'s direction z), zeros at the start; empty otherwise.

Both are checkpointed with the parameters (`variables()`: "momenta", "attack_<name>"), so a resumed run
repeats bit for bit, and created for the run's tf.distribute strategy like the parameters
(`training.distributed.create_state`).
"""

import dataclasses
from typing import Optional

import tensorflow as tf

import attacks
from training import distributed, momentum, workers

ATTACK_PREFIX = "attack_"


@dataclasses.dataclass
class StepState:
    momenta: Optional[tf.Variable] = None
    attack: dict = dataclasses.field(default_factory=dict)

    def variables(self):
        """name -> variable, for `training.checkpoints` (nothing without momentum or attack state)."""
        named = {ATTACK_PREFIX + name: variable for name, variable in self.attack.items()}
        if self.momenta is not None:
            named["momenta"] = self.momenta
        return named


def attack_state_spec(config, d):
    """{name: (shape, dtype name)} of the run's attack state; {} when its attack keeps none."""
    if not workers.needs(config, "state"):
        return {}
    attack = attacks.get(config.attack)
    if attack.state_spec is None:
        raise ValueError(f"attack {config.attack} needs 'state' but declares no state_spec")
    return dict(attack.state_spec(config.n, config.f, d))


def create(config, d, strategy=None, dtype=tf.float32):
    """The `StepState` of `config` for parameters of size `d` (zeros), for `strategy` (None: plain)."""
    state = StepState()
    if momentum.enabled(config):
        state.momenta = distributed.create_state(
            strategy, tf.zeros([workers.computing_workers(config), d], dtype), "momenta")
    for name, (shape, kind) in attack_state_spec(config, d).items():
        state.attack[name] = distributed.create_state(strategy, tf.zeros(shape, kind), ATTACK_PREFIX + name)
    return state


def zeros_like_attack_state(config, d):
    """name -> zeros of the attack's state (the attack's dry run, `training.step.logged_names`)."""
    return {name: tf.zeros(shape, kind) for name, (shape, kind) in attack_state_spec(config, d).items()}
