"""The measurements of the leeway study, each through the project's own attack code.

- `Leeway.gamma_m`: gamma_m of `lp` (p = 2, E = e_0) or `linf` (p = inf, E = ones) against krum,
  geomed or brute: `attacks.shift.largest_selected`, the search training runs, on the honest
  distances and the closed-form statistics of `attacks.shifted_distances`. These are [h, h] and
  [h] tensors whatever d, so one `tf.function` per (rule, attack, f, dtype, budget) serves every d
  and every draw. Brute past `aggregators.brute.MAX_SUBSETS` subsets (f >= 10 at n = 2f + 1): its
  exact criterion in closed form (`attacks.brute_leeway`), which the search matches where both run.
- `distance_statistics`: what appendix B approximates (delta_bar, honest pairwise distances, the
  distances of the honest gradients to their mean), measured.
- `BulyanColumn`: the displacement of coordinate 0 of Bulyan(Krum) and of Krum at n = 4f + 3 for
  B = mean + gamma e_0: `aggregators.bulyan.picks` on the closed-form distances, then the
  coordinate-wise stage on that coordinate's theta picked values (Bulyan's output coordinate 0
  exactly, without the other d - 1 coordinates); `with_picks` also returns those picked values
  and which are honest (`experiments.leeway.stage` reads the median and the kept window from them).
- `bulyan_search`: the `lp` attack itself against bulyan-krum (objective "displacement").
"""

import math

import numpy as np
import tensorflow as tf

import aggregators
import attacks
from aggregators import brute, bulyan, coordinatewise, krum
from attacks import shift
from attacks.brute_leeway import brute_gamma_m
from attacks.shifted_distances import ShiftStatistics, shift_statistics, shifted_distances

RULES = ("brute", "krum", "geomed")
ATTACKS = {"2": ("lp", 2), "inf": ("linf", math.inf)}  # p -> (attack, the rules' norm)


def workers(rule, f):
    """n in the minimal quorum of appendix B: 2f + 1 for Brute, 2f + 3 for Krum and GeoMed."""
    return 2 * f + 1 if rule == "brute" else 2 * f + 3


def brute_enumerates(f):
    """Whether `brute` itself runs at n = 2f + 1 (C(n, f) <= its bound of subsets)."""
    return math.comb(2 * f + 1, f) <= brute.MAX_SUBSETS


def brute_closed_form(honest, p):
    """Brute's exact gamma_m at n = 2f + 1 (`attacks.brute_leeway`), E = e_0 (p = 2) or ones (inf)."""
    return brute_gamma_m(honest, 0 if p == "2" else None, ATTACKS[p][1])


def statistics(honest, p):
    """(honest distances [h, h], ShiftStatistics) of `honest` [h, d] for p ("2" or "inf")."""
    _, norm = ATTACKS[p]
    honest = tf.convert_to_tensor(honest)
    centered = tf.reduce_mean(honest, axis=0)[None, :] - honest
    stats = shift_statistics(centered, norm, 0 if p == "2" else None)
    return aggregators.pairwise_distances(honest, norm="inf" if p == "inf" else 2), stats


class Leeway:
    """gamma_m searches, one `tf.function` per (rule, p, f, dtype, budget), d-independent."""

    def __init__(self):
        self._searches = {}

    def gamma_m(self, rule, p, f, honest, budget=16, prepared=None):
        """(gamma_m, how): "search" (the attack's own search), or "closed form" for large Brute.

        `honest` [h, d] with the attacked coordinate first; `prepared`: `statistics(honest, p)`
        when already computed. The search runs in the dtype of `honest`."""
        if rule == "brute" and not brute_enumerates(f):
            return brute_closed_form(honest, p), "closed form"
        honest_distances, stats = prepared if prepared is not None else statistics(honest, p)
        fields = _fields(stats, p)
        search = self._search(rule, p, f, honest_distances.dtype, budget)
        return float(search(honest_distances, *fields)), "search"

    def _search(self, rule, p, f, dtype, budget):
        key = (rule, p, f, dtype, budget)
        if key not in self._searches:
            gar = aggregators.get(rule)
            options = {} if p == "2" else {"norm": "inf"}
            template = ShiftStatistics(norm=ATTACKS[p][1], coordinate=0 if p == "2" else None,
                                       dimension=0, **{k: None for k in ShiftStatistics._fields[3:]})

            @tf.function
            def search(honest_distances, first, second, finite):
                # `dimension` is read only for E = ones with l2, which the study does not run
                stats = template._replace(finite=finite, **dict(zip(_FIELD_NAMES[p], (first, second))))
                scale = shift.search_scale(stats, 1.0)  # ||E||_p = 1 for e_0 and for ones in l_inf
                gamma, _ = shift.largest_selected(gar, options, honest_distances, stats, f, scale, budget)
                return gamma

            self._searches[key] = search
        return self._searches[key]


_FIELD_NAMES = {"2": ("at_coordinate", "rest"), "inf": ("row_max", "row_min")}


def _fields(stats, p):
    return tuple(getattr(stats, name) for name in _FIELD_NAMES[p]) + (stats.finite,)


def distance_statistics(honest, p, honest_distances=None):
    """What appendix B approximates, measured on `honest` [h, d] (NumPy, float64 sums):

    delta_bar: mean_k |v_k^(i) - v_k^(j)| over the pairs (i, i + 1) (appendix B.1's definition);
    pair_mean, pair_max: the mean and largest honest l_p distance ||V_i - V_j||_p (B.1: d^(1/p) delta_bar);
    krum_score: min_i of the sum of the h - 2 smallest squared distances from V_i to the other honest
      gradients (its Krum score at n = 2f + 3 when no copy of B is among its nearest, B.3: b = 0);
    medoid_sum: min_i sum_j ||V_i - V_j||_p (the honest part of GeoMed's sum);
    to_mean: mean_i ||V_i - mean||_p (B.1: d^(1/p) delta_bar / sqrt(2));
    to_mean_top: mean_i max_k (mean_k - v_k^(i)) (for E = ones in l_inf, where B - V_i = c_i + gamma).
    """
    x = np.asarray(honest, dtype=np.float64)
    h = x.shape[0]
    delta_bar = float(np.mean([np.abs(x[i] - x[i + 1]).mean() for i in range(h - 1)]))
    if honest_distances is None:
        honest_distances = aggregators.pairwise_distances(tf.constant(x), norm=2 if p == "2" else "inf")
    matrix = np.asarray(honest_distances, dtype=np.float64)
    pairs = matrix[np.triu_indices(h, 1)]
    others = np.sort(np.where(np.eye(h, dtype=bool), np.inf, matrix ** 2), axis=1)[:, : max(h - 2, 1)]
    centered = x.mean(axis=0) - x
    order = 2 if p == "2" else np.inf
    return {"delta_bar": delta_bar, "pair_mean": float(pairs.mean()), "pair_max": float(pairs.max()),
            "krum_score": float(others.sum(axis=1).min()), "medoid_sum": float(matrix.sum(axis=1).min()),
            "to_mean": float(np.linalg.norm(centered, ord=order, axis=1).mean()),
            "to_mean_top": float(centered.max(axis=1).mean())}


class BulyanColumn:
    """Coordinate 0 of Bulyan(Krum)'s and Krum's outputs at n = 4f + 3, minus the honest mean, for
    B = mean + gamma e_0 (l2): one `tf.function` per (h, dtype), d-independent."""

    def __init__(self, f):
        self.f = f
        self._function = None

    def prepare(self, honest):
        """The per-draw inputs: [h, h] distances, statistics of e_0, honest coordinate 0 - mean."""
        honest_distances, stats = statistics(honest, "2")
        column = tf.convert_to_tensor(honest)[:, 0]
        return honest_distances, stats, column - tf.reduce_mean(column)

    def __call__(self, prepared, gammas):
        """(Bulyan's, Krum's) displacement of coordinate 0 at each of `gammas` (NumPy [G] each)."""
        bulyan_values, krum_values, _, _ = self.with_picks(prepared, gammas)
        return bulyan_values, krum_values

    def with_picks(self, prepared, gammas):
        """(Bulyan's displacement [G], Krum's [G], the theta picked values of coordinate 0 [G, theta],
        whether each pick is an honest row [G, theta]) at each of `gammas`."""
        honest_distances, stats, column = prepared
        function = self._compiled(stats)
        out = [function(honest_distances, stats.at_coordinate, stats.rest, stats.finite, column,
                        tf.constant(g, column.dtype)) for g in gammas]
        h = int(column.shape[0])
        return (np.array([float(a) for a, _, _, _ in out]), np.array([float(b) for _, b, _, _ in out]),
                np.array([c.numpy() for _, _, c, _ in out], np.float64),
                np.array([p.numpy() < h for _, _, _, p in out]))

    def _compiled(self, stats):
        if self._function is None:
            f = self.f
            template = stats._replace(coordinate=0, dimension=0)

            @tf.function
            def displacement(honest_distances, at_coordinate, rest, finite, column, gamma):
                local = template._replace(at_coordinate=at_coordinate, rest=rest, finite=finite)
                distances = shift.with_byzantine(honest_distances, shifted_distances(local, gamma), f)
                values = tf.concat([column, tf.fill([f], gamma)], axis=0)
                n = distances.shape[0]
                rows = bulyan.picks(distances, f, "krum")
                picked = tf.gather(values, rows)
                bulyan_value = coordinatewise.closest_to_median_mean(picked[:, None], n - 4 * f)[0]
                krum_value = tf.gather(values, krum.select_from_distances(distances, f)[0])
                return bulyan_value, krum_value, picked, rows

            self._function = displacement
        return self._function


def bulyan_search(honest, f, budget=16):
    """(gamma_m, displacement) logged by the `lp` attack (coordinate 0) against bulyan-krum."""
    context = attacks.AttackContext(n=honest.shape[0] + f, f=f, gar="bulyan-krum", gar_options={},
                                    step=tf.constant(0, tf.int64), params=tf.zeros([1]),
                                    seed=tf.zeros([2], tf.int32))
    attacks.get("lp")(tf.convert_to_tensor(honest), context, coordinate=0, budget=budget)
    return float(context.logged["gamma"]), float(context.logged["displacement"])
