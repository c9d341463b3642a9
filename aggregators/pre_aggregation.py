"""The pre-aggregation step record: a named pure function [n, d] -> [m, d] run before a rule.

Steps are composed with a rule into a chain read left to right, `arc+nnm+trimmed-mean`
(`aggregators.chain`), in the spirit of Optax's `chain` of gradient transformations: each step
is a small pure function, usable eagerly and inside `tf.function` (n, f, d static), returning
the input's dtype. The rule after a step keeps the same f (ByzFL's convention): the step must
leave at most f bad rows among its m outputs when at most f of its n inputs are bad.
"""

import dataclasses
from typing import Callable, Mapping, Optional

from aggregators import validation


def requirement(workers):
    """The text of `n >= a*f + b` without the "n >= ": "f+1", or "1" when a = 0."""
    a, b = workers
    return validation.requirement(workers) if a else str(b)


def _same_count(n, f, **options):
    return n


def _same_count_text(of, **options):
    return of


@dataclasses.dataclass(frozen=True)
class Step:
    """A pre-aggregation step.

    Attributes:
      name: registry name, e.g. "nnm"; in a chain its options are written "nnm.<option>".
      source: citation of the paper that defines the step.
      workers: (a, b) such that the step needs n >= a*f + b inputs.
      step_fn: `(gradients [n, d], f, **options) -> [m, d]`, called with validated arguments.
      options: option name -> validator `(value, name, rule) -> canonical value`.
      outputs_fn: `(n, f, **options) -> m`, the number of outputs (non-decreasing in n).
      outputs_text_fn: `(of, **options) -> str`, the formula of m given the text `of` of n,
        e.g. "ceil(n/2)" for bucketing with s = 2; `of` itself when m = n.
      weights_fn: for steps whose outputs are weighted means of their inputs (each row of
        weights non-negative, summing to 1): `(gradients, f, distances, **options) -> [m, n]`
        weights W, the outputs being W @ gradients (`aggregators.mixing.mix`). A chain uses it to
        carry the l2 distances through the step without another pass over the d coordinates.
      needs_distances: whether `weights_fn` reads `distances`, the [n, n] l2 distances of its
        input (None is passed otherwise).
    """

    name: str
    source: str
    workers: tuple
    step_fn: Callable
    options: Mapping[str, Callable] = dataclasses.field(default_factory=dict)
    outputs_fn: Callable = _same_count
    outputs_text_fn: Callable = _same_count_text
    weights_fn: Optional[Callable] = None
    needs_distances: bool = False

    def outputs(self, n, f, **options):
        """m, the number of rows the step outputs for n inputs."""
        f = validation.check_f(f, self.name)
        options = validation.check_options(options, self.options, self.name)
        return self.outputs_fn(n, f, **options)

    def min_inputs(self, f):
        """The smallest n the step accepts with f Byzantine workers."""
        f = validation.check_f(f, self.name)
        a, b = self.workers
        return a * f + b

    def __call__(self, gradients, f, **options):
        """The [m, d] outputs, in the dtype of `gradients` ([n, d])."""
        f = validation.check_f(f, self.name)
        options = validation.check_options(options, self.options, self.name)
        gradients = validation.as_gradients(gradients, self.name)
        n = gradients.shape[0]
        if n < self.min_inputs(f):
            raise ValueError(f"{self.name} needs n >= {requirement(self.workers)}, got n={n}, "
                             f"f={f}")
        return self.step_fn(gradients, f, **options)
