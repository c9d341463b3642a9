"""An attack's factor chosen to move the server's whole pipeline most (`alie`'s z=auto, `ipm`'s
epsilon=auto), by the paper's bounded gamma search (El Mhamdi et al. 2018, section 3.2).

The adversary is omniscient (paper, section 2.2): it sees the honest gradients and the server's
rule, pre-aggregation steps included ("arc+nnm+trimmed-mean"). When the f Byzantine workers all
submit one vector B(c) scaled by a factor c (ALIE: B = mean - c std; IPM: B = -c mean), the factor
c* maximises the displacement of the server's output from the honest mean,

    D(c) = || pipeline(honest, f copies of B(c)) - mean(honest) ||_2,

over the bracket [c_max / 16, c_max] (the attack's c_max: see `alie` and `ipm`). The search is
`gamma_search.most_deviating`, the one the paper's attack runs on rules that do not select: a
log-grid then a dichotomous refinement, exactly `budget` evaluations of the pipeline per step, each
as costly as the server's own aggregation. With 16, the grid's points are sqrt(2) apart. Against a
rule that keeps B up to some factor then drops it (Krum, "nnm+krum"), D rises to a cliff, and the
refinement, which spends about half its probes below its best point, where D only falls, ends a
few percent short (measured: at worst 4% below the best displacement of a dense grid, over 16
random Krum cases; coordinate-wise rules, whose D rises to a plateau, within 1e-7).

The pipeline is called as the training step calls it,
`aggregators.aggregate(context.gar, submissions, context.f, **context.gar_options)`, so chains
and their options (a bucketing seed included) are searched as they will run. Non-finite
displacements count as -Inf.
"""

import tensorflow as tf

import aggregators
from attacks import gamma_search, inputs

LOWEST = 2.0 ** -4  # the bracket's low end, as a fraction of its high end


def most_displacing(honest, context, byzantine_at, high, budget):
    """(c*, D(c*)): the factor in [high * LOWEST, high] that maximises D(c) (module doc), found
    with `budget` >= 3 evaluations of the pipeline, and its displacement (scalars, in the dtype
    of `honest` [h, d]). `byzantine_at(c)` -> [d], the vector the f workers submit for factor c.
    """
    mean = tf.reduce_mean(honest, axis=0)
    high = tf.cast(high, honest.dtype)

    def displacement(factor):
        submissions = tf.concat([honest, inputs.replicate(byzantine_at(factor), context.f)], axis=0)
        aggregated = aggregators.aggregate(context.gar, submissions, context.f,
                                           **context.gar_options)
        return tf.norm(tf.cast(aggregated, honest.dtype) - mean)

    return gamma_search.most_deviating(displacement, high * LOWEST, high, budget)
