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
  centered-clipping, average, ...), objective "displacement" (the default): gamma_m maximises the
  displacement of the output along the attack direction, (GAR(honest + f B(gamma)) - mean) . E /
  ||E||_2, signed (for `lp`, how far the attacked coordinate moves), over
  [s_coord / 4, 16 max(s_coord, scale)] (`most_deviating`), s_coord = the mean |c_ik| over the
  coordinates k that E moves (where coordinate-wise rules saturate); rules that use distances get
  the closed-form matrix through `distances=`. Maximising ||GAR - mean||_2 instead would be
  dominated, for large d, by the rule's own noise on the d - 1 coordinates E does not move.
  For E = e_j and a rule whose coordinate j depends only on column j (`rule.coordinatewise`:
  bulyan-krum, bulyan-geomed, median, trimmed-mean, ...), each evaluation runs the rule on that
  column alone, [n, 1]: the same value in O(n^2) instead of O(n d) (at d = 1.76e6, 16 full
  Bulyan evaluations per step fewer).
- objective "selected" (bulyan-* only, the paper's literal reading of section 3.2 for Bulyan):
  gamma_m is the largest gamma for which B is among the theta = n - 2f picks of Bulyan's first
  stage (`aggregators.bulyan.picks` on the closed-form distances), by `largest_accepted`. For
  Bulyan(Krum) with f >= 2 it has no bound: the last pick runs Krum on 2f + 1 rows with f - 1
  neighbours, where the f copies of B score 0, so gamma_m is the search's upper bound.

The f workers submit B(gamma), gamma = min(gamma_scale * gamma_m, gamma_max) (gamma_scale = 1 and
gamma_max = None, no cap, by default; other values are for ablations: a cap tells whether a run's
divergence comes from gamma_m growing without bound). The Byzantine rows are the last f of the n
submissions, as in the training loop.

With log_spread = k >= 1 (0, the default, computes and logs nothing), the attack also logs "delta_bar",
appendix B.1's spread of the step's honest gradients (`attacks.spread`), the quantity appendix B's
closed forms for gamma_m scale with (experiments/paper/gamma_trace.py traces gamma_m / closed form), at
the steps t with t % k == 0 (NaN at the others): its sort over the h rows costs about 37 ms for h = 30,
d = 79,510 on 2 CPU cores, 3 to 4 MNIST steps at n = 39, so k = 1, every step, is for studies, a larger k
for long runs.
"""

import math

import tensorflow as tf

import aggregators
from aggregators import bulyan
from attacks import gamma_search, inputs, options as options_lib, spread
from attacks.shifted_distances import norm_order, shift_statistics, shifted_distances

OBJECTIVES = ("displacement", "selected")


def shift_attack(attack_name, honest, context, coordinate, budget, objective="displacement",
                 gamma_scale=1.0, gamma_max=None, log_spread=0):
    """[f, d]: f copies of B(min(gamma_scale * gamma_m, gamma_max)) (None: no cap); `coordinate` j for
    E = e_j, None for E = ones.

    Logs "gamma" (gamma_m, the searched value whatever gamma_scale and gamma_max) and, for selecting rules and
    objective "selected", "selected" (1 if the search found a gamma_m > 0 for which B(gamma_m) is
    selected, 0 if it falls back to gamma_m = 0); for rules that do not select, "displacement":
    (GAR - mean(honest)) . E / ||E||_2 for the submitted gradients. With `log_spread` = k >= 1, last,
    "delta_bar": appendix B.1's delta_bar of the honest gradients (`attacks.spread.delta_bar`) at the steps
    that are multiples of k, NaN at the others.
    """
    honest = inputs.honest_matrix(attack_name, honest, context)
    h, d = honest.shape
    f = context.f
    options_lib.require(attack_name, log_spread >= 0, f"log_spread must be >= 0 (0: off; k: every k-th step), "
                                                      f"got log_spread={log_spread}")
    options_lib.require(attack_name, budget >= 3, f"budget must be >= 3 rule evaluations, "
                                                  f"got budget={budget}")
    options_lib.require(attack_name, objective in OBJECTIVES,
                        f"objective must be one of {', '.join(OBJECTIVES)}, got objective={objective!r}")
    options_lib.require(attack_name, math.isfinite(gamma_scale) and gamma_scale >= 0,
                        f"gamma_scale must be a finite number >= 0, got gamma_scale={gamma_scale!r}")
    options_lib.require(attack_name, gamma_max is None or gamma_max > 0,
                        f"gamma_max must be a number > 0, got gamma_max={gamma_max!r}")
    rule = aggregators.get(context.gar)
    base = bulyan_base(rule)
    options_lib.require(attack_name, objective != "selected" or rule.selects or base is not None,
                        f"objective='selected' needs a rule that selects or a Bulyan rule "
                        f"(bulyan-krum, bulyan-geomed, bulyan-brute), got gar={context.gar!r}")
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
    scale = search_scale(stats, direction_norm)
    if _uses_distances(rule):  # the selecting rules and bulyan-*
        honest_distances = aggregators.pairwise_distances(honest, norm=norm)

    on_one_column = coordinate is not None and rule.coordinatewise

    def submitted(gamma):
        """The gamma the f workers submit: gamma_scale * gamma_m, capped at gamma_max."""
        scaled = gamma_scale * gamma
        if gamma_max is None:
            return scaled
        return tf.minimum(scaled, tf.cast(tf.constant(gamma_max, tf.float64), scaled.dtype))  # inf past float32

    def byzantine_distances(gamma):
        return with_byzantine(honest_distances, shifted_distances(stats, gamma), f)

    def gradients_at(gamma):
        return tf.concat([honest, inputs.replicate(mean + gamma * direction, f)], axis=0)

    def displacement(gamma):
        extra = {"distances": byzantine_distances(gamma)} if _uses_distances(rule) else {}
        if on_one_column:  # the rule's output on column j is its coordinate j: O(n^2), not O(n d)
            column = tf.concat([honest[:, coordinate:coordinate + 1],
                                inputs.replicate(mean[coordinate:coordinate + 1] + gamma, f)], axis=0)
            aggregated = rule(column, f, **gar_options, **extra)
            return tf.cast(aggregated[0], honest.dtype) - mean[coordinate]
        aggregated = rule(gradients_at(gamma), f, **gar_options, **extra)
        return along(tf.cast(aggregated, honest.dtype) - mean, coordinate)

    if rule.selects:
        gamma, _ = largest_selected(rule, gar_options, honest_distances, stats, f, scale, budget)
        context.log("gamma", gamma)
        context.log("selected", gamma > 0)
    elif objective == "selected":
        needs_rows = base == "brute" and norm != 2

        def accepts(gamma):
            rows = gradients_at(gamma) if needs_rows else None
            picked = bulyan.picks(byzantine_distances(gamma), f, base, rows, norm)
            return tf.reduce_any(picked >= h)

        gamma, _ = gamma_search.largest_accepted(accepts, scale, budget)
        context.log("gamma", gamma)
        context.log("selected", gamma > 0)
        context.log("displacement", displacement(submitted(gamma)))
    else:
        low = coordinate_spread / 4
        low = tf.where(low > 0, low, scale * 2.0 ** -20)
        high = 16 * tf.maximum(coordinate_spread, scale)
        gamma, value = gamma_search.most_deviating(displacement, low, high, budget)
        context.log("gamma", gamma)
        uncapped = gamma_scale == 1 and gamma_max is None
        context.log("displacement", value if uncapped else displacement(submitted(gamma)))
    if log_spread:
        context.log("delta_bar", tf.cond(tf.equal(context.step % log_spread, 0), lambda: spread.delta_bar(centered),
                                         lambda: tf.constant(math.nan, centered.dtype)))
    return inputs.replicate(mean + submitted(gamma) * direction, f)


def search_scale(stats, direction_norm):
    """The searches' scale: mean_i ||c_i||_p / ||E||_p, where B is as far from the honest gradients
    as they are from their mean (`stats` from `shift_statistics`)."""
    return tf.reduce_mean(shifted_distances(stats, 0.0)) / direction_norm


def largest_selected(rule, gar_options, honest_distances, stats, f, scale, budget):
    """(gamma_m, smallest rejected probe) for a rule that selects: `largest_accepted` on "the rule
    selects one of the f copies of B(gamma)", from the [h, h] honest distances and the closed-form
    distances of B(gamma) (O(n^2) per probe, independent of d)."""
    h = honest_distances.shape[0]

    def accepts(gamma):
        distances = with_byzantine(honest_distances, shifted_distances(stats, gamma), f)
        selected = rule.select_from_distances(distances, f, **gar_options)
        return tf.reduce_any(tf.convert_to_tensor(selected) >= h)

    return gamma_search.largest_accepted(accepts, scale, budget)


def along(vector, coordinate):
    """vector . E / ||E||_2: `vector`[coordinate] for E = e_j, sum(vector) / sqrt(d) for E = ones."""
    if coordinate is not None:
        return vector[coordinate]
    return tf.reduce_sum(vector) / math.sqrt(int(vector.shape[0]))


def with_byzantine(honest_distances, byzantine_distances, f):
    """[n, n] distances: honest rows first, then f identical Byzantine rows (0 between them).

    `honest_distances` [h, h]; `byzantine_distances` [h]: from B to each honest gradient.
    """
    column = tf.tile(byzantine_distances[:, None], [1, f])
    top = tf.concat([honest_distances, column], axis=1)
    bottom = tf.concat([tf.transpose(column), tf.zeros([f, f], honest_distances.dtype)], axis=1)
    return tf.concat([top, bottom], axis=0)


def bulyan_base(rule):
    """The base rule A of a Bulyan(A) rule ("krum", "geomed", "brute"); None for other rules."""
    prefix = "bulyan-"
    return rule.name[len(prefix):] if rule.name.startswith(prefix) else None


def _uses_distances(rule):
    """Whether `rule` accepts the `distances=` option (the distance-based rules: bulyan-*)."""
    return "distances" in getattr(rule, "options", {})
