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
    """

    n: int
    f: int
    gar: str
    gar_options: dict
    step: tf.Tensor
    params: tf.Tensor
    seed: tf.Tensor
    logged: dict = dataclasses.field(default_factory=dict)

    def log(self, name, value):
        """Reports one scalar (for example the attack's gamma_m) for this step's metrics."""
        self.logged[name] = tf.cast(value, tf.float32)
