"""Multi-Krum (Blanchard et al., NeurIPS 2017; El Mhamdi et al., ICML 2018): the mean of the m
submissions with the lowest Krum scores (n - f - 2 nearest neighbours), default m = n - f.
Needs n >= 2f+3 and 1 <= m <= n - f. Ties in score go to the lowest index.

Non-finite input: as for Krum, a row with a non-finite coordinate scores +Inf and every honest
row a finite score; m <= n - f keeps at most f such rows out of the m averaged.
"""

import tensorflow as tf

from aggregators import krum, registry, selection, validation


def select_from_distances(distances, f, norm=2, m=None):
    """int32 [m]: the m lowest-score indices, best first, from [n, n] l_p distances."""
    n = distances.shape[0]
    m = n - f if m is None else m
    if not 1 <= m <= n - f:
        raise ValueError(f"multi-krum needs 1 <= m <= n-f, got m={m}, n={n}, f={f}")
    scores = krum.scores(tf.square(distances), n - f - 2)
    return tf.cast(tf.argsort(scores, stable=True)[:m], tf.int32)


RULE = registry.register(selection.rule(
    name="multi-krum",
    source="Blanchard, El Mhamdi, Guerraoui, Stainer. Machine Learning with Adversaries: "
           "Byzantine Tolerant Gradient Descent. NeurIPS 2017 (Multi-Krum); El Mhamdi, "
           "Guerraoui, Rouault. ICML 2018",
    workers=(2, 3),
    select_from_distances=select_from_distances,
    options={"m": validation.optional_positive_int},
))
