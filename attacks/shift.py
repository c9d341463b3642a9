"""The paper's attack (section 3): B(gamma) = mean(honest) + gamma * E, submitted by all f workers.

Shared by `lp` (E one coordinate, section 3.2) and `linf` (E = (1, ..., 1), section 3.3). gamma_m is
found per step by a bounded search (`attacks.gamma_search`) with `budget` evaluations of the rule:

- rules that select submissions (`rule.selects`: krum, geomed, brute, multi-krum): gamma_m is the
  largest gamma for which the rule still selects B (any of the f copies): `largest_accepted`,
  starting from scale = mean_i ||c_i||_p / ||E||_p (c_i = mean - V_i, p the rule's norm), the
  gamma at which B is as far from the honest gradients as they are from their mean, so the search
  is scale-free. Each evaluation builds the [n, n] distance matrix from the honest pairwise
  distances (computed once per step), the closed-form distances of B(gamma) to each honest
  gradient (`attacks.shifted_distances`) and zeros between the f copies, then calls
  `rule.select_from_distances`: O(n^2) per evaluation, not O(n^2 d).
- other rules (bulyan-*, median, trimmed-mean, meamed, phocas, geometric-median,
  centered-clipping, average, ...): gamma_m maximises ||GAR(honest + f B(gamma)) - mean(honest)||_2
  over [s_coord / 4, 16 max(s_coord, scale)] (`most_deviating`), s_coord = the mean |c_ik| over the
  coordinates k that E moves (where coordinate-wise rules saturate); rules that use distances get
  the closed-form matrix through `distances=`.

The Byzantine rows are the last f of the n submissions, as in the training loop.
"""

import math

import tensorflow as tf

import aggregators
from attacks import gamma_search, inputs, options as options_lib
from attacks.shifted_distances import norm_order, shift_statistics, shifted_distances


def shift_attack(attack_name, honest, context, coordinate, budget):
    """[f, d]: f copies of B(gamma_m); `coordinate` j for E = e_j, None for E = (1, ..., 1).

    Logs "gamma" (gamma_m) and, for selecting rules, "selected" (1 if B(gamma_m) with gamma_m > 0
    is selected, 0 if the search found no such gamma and falls back to gamma_m = 0), for the
    others "deviation" (||GAR - mean(honest)||_2 at gamma_m).
    """
    honest = inputs.honest_matrix(attack_name, honest, context)
    h, d = honest.shape
    f = context.f
    options_lib.require(attack_name, budget >= 3, f"budget must be >= 3 rule evaluations, "
                                                  f"got budget={budget}")
    rule = aggregators.get(context.gar)
    gar_options = dict(context.gar_options)
    norm = norm_order(gar_options.get("norm", 2))

    mean = tf.reduce_mean(honest, axis=0)
    centered = mean[None, :] - honest
    if coordinate is None:
        direction = tf.ones([d], honest.dtype)
        direction_norm = 1.0 if norm == math.inf else float(d) ** (1.0 / norm)
        coordinate_spread = tf.reduce_mean(tf.abs(centered))
    else:
        options_lib.require(attack_name, -d <= coordinate < d,
                            f"coordinate must be in [-d, d) = [{-d}, {d}), got coordinate={coordinate} "
                            f"(the model has d={d:,} parameters)")
        coordinate %= d
        direction = tf.one_hot(coordinate, d, dtype=honest.dtype)
        direction_norm = 1.0
        coordinate_spread = tf.reduce_mean(tf.abs(centered[:, coordinate]))
    stats = shift_statistics(centered, norm, coordinate)
    scale = tf.reduce_mean(shifted_distances(stats, 0.0)) / direction_norm

    def byzantine_distances(gamma):
        return with_byzantine(honest_distances, shifted_distances(stats, gamma), f)

    if rule.selects:
        honest_distances = aggregators.pairwise_distances(honest, norm=norm)

        def accepts(gamma):
            selected = rule.select_from_distances(byzantine_distances(gamma), f, **gar_options)
            return tf.reduce_any(tf.convert_to_tensor(selected) >= h)

        gamma, _ = gamma_search.largest_accepted(accepts, scale, budget)
        context.log("gamma", gamma)
        context.log("selected", gamma > 0)
    else:
        uses_distances = _uses_distances(rule)
        if uses_distances:
            honest_distances = aggregators.pairwise_distances(honest, norm=norm)

        def deviation(gamma):
            gradients = tf.concat([honest, inputs.replicate(mean + gamma * direction, f)], axis=0)
            extra = {"distances": byzantine_distances(gamma)} if uses_distances else {}
            aggregated = rule(gradients, f, **gar_options, **extra)
            return tf.norm(tf.cast(aggregated, honest.dtype) - mean)

        low = coordinate_spread / 4
        low = tf.where(low > 0, low, scale * 2.0 ** -20)
        high = 16 * tf.maximum(coordinate_spread, scale)
        gamma, value = gamma_search.most_deviating(deviation, low, high, budget)
        context.log("gamma", gamma)
        context.log("deviation", value)
    return inputs.replicate(mean + gamma * direction, f)


def with_byzantine(honest_distances, byzantine_distances, f):
    """[n, n] distances: honest rows first, then f identical Byzantine rows (0 between them).

    `honest_distances` [h, h]; `byzantine_distances` [h]: from B to each honest gradient.
    """
    column = tf.tile(byzantine_distances[:, None], [1, f])
    top = tf.concat([honest_distances, column], axis=1)
    bottom = tf.concat([tf.transpose(column), tf.zeros([f, f], honest_distances.dtype)], axis=1)
    return tf.concat([top, bottom], axis=0)


def _uses_distances(rule):
    """Whether `rule` accepts the `distances=` option (the distance-based rules: bulyan-*)."""
    return "distances" in getattr(rule, "options", {})
