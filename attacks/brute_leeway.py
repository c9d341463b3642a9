"""gamma_m of the shift attack against Brute at n = 2f + 1, in closed form (paper 2.3.1, B.2).

With h = f + 1 honest gradients and f copies of B = mean + gamma E, Brute picks, among the subsets of
n - f = f + 1 submissions, the one with the smallest diameter (ties: the first subset in
lexicographic order of indices). Every subset but the all-honest one holds a copy of B, and among
those the smallest diameter is min_i ||B - V_i||_p: the f copies and the honest gradient nearest to
B (the copies are at distance 0 from each other, and any subset with a copy has a diameter at least
the distance from B to each of its honest members). The all-honest subset comes first, so it wins
ties. Hence B is selected exactly when

    min_i ||c_i + gamma E||_p < D,   c_i = mean - V_i,   D = max_{i, j} ||V_i - V_j||_p,

and the set of such gamma is a union of intervals, one per honest i (a norm is convex in gamma).
gamma_m, the supremum of the selected gamma >= 0, is the largest right end among them; with the
statistics of `attacks.shifted_distances`:

  E = e_j:  l2 -c_ij + sqrt(D^2 - r_i^2);  l1 -c_ij + D - r_i;  linf -c_ij + D   (each if r_i < D)
  E = ones: l2 -m_i + sqrt((D^2 - s_i) / d) (if s_i < D^2);  linf D - max_k c_ik (if the interval
            D - max_k c_ik > -D - min_k c_ik is not empty)

(0 if no gamma >= 0 is selected). It needs O(h^2 d) for D and no enumeration of the C(2f+1, f)
subsets, which `aggregators.brute` refuses past 100,000 (f >= 10).
"""

import math

import numpy as np
import tensorflow as tf

import aggregators
from attacks.shifted_distances import norm_order, shift_statistics


def brute_gamma_m(honest, coordinate=None, norm=2):
    """The supremum of the gamma >= 0 for which Brute at n = 2f + 1, f = h - 1, selects B(gamma).

    `honest` [h, d] (h >= 2); `coordinate` j for E = e_j (negative counts from the end), None for
    E = (1, ..., 1); `norm` 1, 2 or "inf" (E = ones: 2 or "inf"). Returns a Python float,
    computed in float64.
    """
    honest = tf.cast(tf.convert_to_tensor(honest), tf.float64)
    h, d = honest.shape
    if h < 2:
        raise ValueError(f"brute_gamma_m needs h >= 2 honest gradients, got h={h}")
    norm = norm_order(norm)
    if coordinate is None and norm == 1:
        raise ValueError("brute_gamma_m has no closed form for E = (1, ..., 1) with norm=1")
    if coordinate is not None:
        if not -d <= coordinate < d:
            raise ValueError(f"coordinate must be in [-d, d) = [{-d}, {d}), got coordinate={coordinate}")
        coordinate %= d
    diameter = float(tf.reduce_max(aggregators.pairwise_distances(honest, norm=norm)))
    stats = shift_statistics(tf.reduce_mean(honest, axis=0)[None, :] - honest, norm, coordinate)
    if coordinate is not None:
        shift, rest = stats.at_coordinate.numpy(), stats.rest.numpy()
        reachable = rest < diameter
        if norm == 2:
            ends = -shift + np.sqrt(np.maximum(diameter ** 2 - rest ** 2, 0.0))
        elif norm == 1:
            ends = -shift + diameter - rest
        else:
            ends = -shift + diameter
    elif norm == 2:
        spread, row_mean = stats.row_spread.numpy(), stats.row_mean.numpy()
        reachable = spread < diameter ** 2
        ends = -row_mean + np.sqrt(np.maximum(diameter ** 2 - spread, 0.0) / d)
    else:
        row_max, row_min = stats.row_max.numpy(), stats.row_min.numpy()
        ends = diameter - row_max
        reachable = ends > -diameter - row_min
    ends = ends[reachable & np.isfinite(ends)]
    return max(float(ends.max()), 0.0) if ends.size and math.isfinite(diameter) else 0.0
