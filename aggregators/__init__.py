"""Gradient aggregation rules (GARs): paper sections 2.3 and 4, plus today's baselines, and the
pre-aggregation steps that may precede any of them.

    aggregators.aggregate(name, gradients [n, d], f, **options) -> [d]
    aggregators.names(), aggregators.get(name) -> Rule (see `aggregators.rule`)
    aggregators.pairwise_distances(gradients, norm=2) -> [n, n]

    aggregators.steps(), aggregators.get_step(name) -> Step (see `aggregators.pre_aggregation`):
        arc, bucketing, clip, nnm
    aggregators.pre_aggregate(steps, gradients [n, d], f, **options) -> [m, d]

A name may be a chain of steps and a rule read left to right, "arc+nnm+trimmed-mean"
(`aggregators.chain`): `get` returns it as a Rule, step options prefixed with the step's name
("bucketing.s": 2). `names()` lists the plain rules only; chains are composed from `steps()`
and `names()`.

Every rule and step is a pure function of the [n, d] matrix of submissions, usable eagerly and
inside `tf.function` (n, f and d static, f a Python int), returning the input's dtype.
"""

from aggregators.distances import pairwise_distances
from aggregators.pre_aggregation import Step
from aggregators.registry import (aggregate, get, get_step, names, pre_aggregate, register,
                                  register_step, steps)
from aggregators.rule import Rule
from aggregators import (  # noqa: F401  (each module registers its rule or step)
    arc, average, brute, bucketing, bulyan, centered_clipping, clip, geomed, geometric_median,
    krum, meamed, median, multi_krum, nnm, phocas, trimmed_mean)
from aggregators.chain import Chain

__all__ = ["Chain", "Rule", "Step", "aggregate", "get", "get_step", "names", "pairwise_distances",
           "pre_aggregate", "register", "register_step", "steps"]
