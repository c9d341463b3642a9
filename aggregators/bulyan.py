"""Bulyan(A) (El Mhamdi, Guerraoui, Rouault, ICML 2018, section 4), for A in Krum, GeoMed, Brute.

1. theta = n - 2f picks: each runs A on the m submissions not yet picked, with the same f, and
   picks the remaining submission closest to A's output (for Krum and GeoMed, A's output itself;
   Krum's neighbour count there is max(m - f - 2, 1); with m = 1 the last one is taken). The
   [n, n] distances are computed once and reused by every pick (Proposition 1: O(n^2 d)).
2. Per coordinate, the mean of the beta = theta - 2f picked values closest to their median, the
   lower middle value (`coordinatewise.closest_to_median_mean`, native op when built).
Needs n >= 4f+3. `bulyan` is `bulyan-krum`.

Non-finite input: A never picks a row with a non-finite coordinate while at most f rows are bad
(see krum, geomed, brute), so the coordinate stage sees finite values; it would still order NaN
as +Inf and trim such values as long as at most f of the theta picks carry them.
"""

import tensorflow as tf

from aggregators import brute, coordinatewise, geomed, krum, registry, validation
from aggregators.distances import distances_for
from aggregators.rule import Rule

BASES = ("krum", "geomed", "brute")


def picks(distances, f, base, gradients=None, norm=2):
    """int32 [theta]: the rows picked by the iterated base rule, in the order picked.

    `gradients` is needed only for base "brute" with norm 1 or inf.
    """
    n = distances.shape[0]
    if base not in BASES:
        raise ValueError(f"bulyan needs a base rule in {BASES}, got {base!r}")
    if base == "brute":
        brute.check_size(n, f, "bulyan-brute")
    rows = tf.range(n, dtype=tf.int32)
    active = tf.ones([n], tf.bool)
    chosen = []
    for step in range(n - 2 * f):
        remaining = n - step
        if base == "krum":
            index = krum.pick(distances, active, remaining, f)
        elif base == "geomed":
            index = geomed.pick(distances, active)
        else:
            index = brute.pick(distances, active, remaining, f, gradients, norm)
        chosen.append(index)
        active &= tf.not_equal(rows, index)
    return tf.stack(chosen)


def _rule(base):
    name = f"bulyan-{base}"

    def aggregate(gradients, f, norm=2, distances=None):
        """Bulyan(A) of the [n, d] gradients: [d], in their dtype."""
        distances = distances_for(gradients, norm, distances, name)
        picked = tf.gather(gradients, picks(distances, f, base, gradients, norm))
        theta = gradients.shape[0] - 2 * f
        return coordinatewise.closest_to_median_mean(picked, theta - 2 * f)

    aggregate.__name__ = f"bulyan_{base}"
    return Rule(
        name=name,
        source="El Mhamdi, Guerraoui, Rouault. The Hidden Vulnerability of Distributed Learning "
               f"in Byzantium. ICML 2018, section 4 (with A = {base})",
        workers=(4, 3),
        aggregate_fn=aggregate,
        options={"norm": validation.norm, "distances": validation.matrix},
        # Given the distances, the picks are fixed and the second stage works per coordinate;
        # Brute's picks at norms 1 and inf also read whole rows.
        coordinatewise=base != "brute",
    )


KRUM = registry.register(_rule("krum"), "bulyan")
GEOMED = registry.register(_rule("geomed"))
BRUTE = registry.register(_rule("brute"))
