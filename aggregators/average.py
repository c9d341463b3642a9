"""Average: the plain mean of the n submissions (paper section 2.3; Abadi et al. 2016).

Not Byzantine-resilient: one submission moves the output anywhere (Blanchard et al. 2017).
Needs n >= f+1 (at least one submission). Non-finite input: NaN and +-Inf propagate to the
output, as they should for a mean.
"""

import tensorflow as tf

from aggregators import registry
from aggregators.rule import Rule


def aggregate(gradients, f):
    """mean_i V_i."""
    return tf.reduce_mean(gradients, axis=0)


RULE = registry.register(Rule(
    name="average",
    source="Abadi et al. TensorFlow: A System for Large-Scale Machine Learning. OSDI 2016 "
           "(averaging, as cited in El Mhamdi et al. 2018, section 2.3)",
    workers=(1, 1),
    aggregate_fn=aggregate,
    coordinatewise=True,
))
