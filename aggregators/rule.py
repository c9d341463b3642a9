"""The rule object: a named pure function plus what the rest of the project asks about it."""

import dataclasses
from typing import Callable, Mapping, Optional

from aggregators import validation


@dataclasses.dataclass(frozen=True)
class Rule:
    """A gradient aggregation rule (GAR), paper section 2.3.

    Attributes:
      name: registry name, e.g. "bulyan-krum".
      source: citation of the paper that defines the rule.
      workers: (a, b) such that the rule needs n >= a*f + b workers.
      aggregate_fn: `(gradients [n, d] tf.Tensor, f int, **options) -> [d]`, called with
        validated arguments.
      options: option name -> validator `(value, name, rule) -> canonical value`.
      select_fn: for rules whose output is a function of whole selected submissions,
        `(gradients, f, **options) -> int32 indices`; None otherwise.
      select_from_distances_fn: `(distances [n, n], f, **options) -> int32 indices`.
      coordinatewise: whether coordinate k of the output depends only on column k of the
        gradients (and on the `distances` option, for the rules that take one): rule(V[:, k:k+1])
        is then [rule(V)[k]] (bit for bit for median, trimmed-mean, bulyan-krum and
        bulyan-geomed; up to the rounding of a mean for average, meamed and phocas), which lets
        an attack on one coordinate evaluate the rule on that column alone.
    """

    name: str
    source: str
    workers: tuple
    aggregate_fn: Callable
    options: Mapping[str, Callable] = dataclasses.field(default_factory=dict)
    select_fn: Optional[Callable] = None
    select_from_distances_fn: Optional[Callable] = None
    coordinatewise: bool = False

    @property
    def selects(self):
        """Whether the output is a function of whole selected submissions (krum, geomed, ...)."""
        return self.select_fn is not None

    def min_workers(self, f):
        """The smallest n the rule accepts with f Byzantine workers."""
        f = validation.check_f(f, self.name)
        a, b = self.workers
        return a * f + b

    def __call__(self, gradients, f, **options):
        """The aggregated gradient [d], in the dtype of `gradients` ([n, d])."""
        gradients, f, options = self._check(gradients, f, options)
        return self.aggregate_fn(gradients, f, **options)

    def select(self, gradients, f, **options):
        """int32 indices of the submissions the rule selects (selecting rules only)."""
        self._need_selection()
        gradients, f, options = self._check(gradients, f, options)
        return self.select_fn(gradients, f, **options)

    def select_from_distances(self, distances, f, **options):
        """Same as `select`, from a precomputed [n, n] matrix of l_p distances (not squared)."""
        self._need_selection()
        f = validation.check_f(f, self.name)
        allowed = {k: v for k, v in self.options.items() if k != "distances"}
        options = validation.check_options(options, allowed, self.name)
        distances = validation.as_distances(distances, None, self.name)
        validation.check_workers(distances.shape[0], f, self.workers, self.name)
        return self.select_from_distances_fn(distances, f, **options)

    def _check(self, gradients, f, options):
        f = validation.check_f(f, self.name)
        options = validation.check_options(options, self.options, self.name)
        gradients = validation.as_gradients(gradients, self.name)
        validation.check_workers(gradients.shape[0], f, self.workers, self.name)
        return gradients, f, options

    def _need_selection(self):
        if not self.selects:
            raise ValueError(f"{self.name} does not select submissions; selecting rules: "
                             "krum, geomed, brute, multi-krum")
