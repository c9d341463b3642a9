"""What an attacker sees at one step (paper, section 2.2: the adversary is omniscient)."""

import dataclasses

import tensorflow as tf


@dataclasses.dataclass
class AttackContext:
    """Everything the f Byzantine workers know when they submit at one step.

    Attributes:
      n: total number of workers (honest + Byzantine).
      f: number of Byzantine workers; the attack returns exactly f gradients.
      gar: name of the aggregation rule the server runs (see `aggregators.names()`).
      gar_options: keyword options of that rule (for example `{"norm": "inf"}`).
      step: the current step, an int64 scalar tensor (the paper's "epoch").
      params: the model's flat parameters, a [d] tensor.
      seed: a stateless-RNG seed, int32 tensor of shape [2], new at every step; attacks that
        need randomness use `tf.random.stateless_*` with it, so runs repeat exactly.
      logged: scalars the attack reports (name -> float32 scalar tensor), written by `log`;
        the training loop writes them to the run's metrics every step.
      state: for an attack that needs "state": name -> the value of each variable it declared
        (`Attack.state_spec`) before this step; empty otherwise.
      new_state: what the attack keeps for the next step (name -> tensor), written by
        `set_state`; the entries it does not write keep their value.
      flipped_gradients: for an attack that needs "flipped_gradients": the [f, d] submissions of
        the Byzantine workers computed on their own mini-batches with flipped labels (their
        momenta when the workers use momentum); None otherwise.
    """

    n: int
    f: int
    gar: str
    gar_options: dict
    step: tf.Tensor
    params: tf.Tensor
    seed: tf.Tensor
    logged: dict = dataclasses.field(default_factory=dict)
    state: dict = dataclasses.field(default_factory=dict)
    new_state: dict = dataclasses.field(default_factory=dict)
    flipped_gradients: tf.Tensor = None

    def log(self, name, value):
        """Reports one scalar (for example the attack's gamma_m) for this step's metrics."""
        self.logged[name] = tf.cast(value, tf.float32)

    def set_state(self, name, value):
        """Keeps `value` as the attack's state `name` for the next step (one of `state`'s names)."""
        if name not in self.state:
            raise ValueError(f"the attack declared no state {name!r}; its state: "
                             f"{', '.join(sorted(self.state)) or 'none'}")
        self.new_state[name] = tf.cast(value, self.state[name].dtype)
