"""Gradient aggregation rules (GARs): paper sections 2.3 and 4, plus today's baselines.

    aggregators.aggregate(name, gradients [n, d], f, **options) -> [d]
    aggregators.names(), aggregators.get(name) -> Rule (see `aggregators.rule`)
    aggregators.pairwise_distances(gradients, norm=2) -> [n, n]

Every rule is a pure function of the [n, d] matrix of submissions, usable eagerly and inside
`tf.function` (n, f and d static, f a Python int), returning the input's dtype.
"""

from aggregators.distances import pairwise_distances
from aggregators.registry import aggregate, get, names, register
from aggregators.rule import Rule
from aggregators import (  # noqa: F401  (each module registers its rule)
    average, brute, bulyan, centered_clipping, geomed, geometric_median, krum, meamed, median,
    multi_krum, phocas, trimmed_mean)

__all__ = ["Rule", "aggregate", "get", "names", "pairwise_distances", "register"]
