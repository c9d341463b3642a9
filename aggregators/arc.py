"""Adaptive robust clipping, ARC (Allouah, Guerraoui, Gupta, Jellouli, Rizk, Stephan, "The Vital
Role of Gradient Clipping in Byzantine-Resilient Distributed Learning", arXiv:2405.14432, 2024):

    k = floor(2 (f/n) (n - f)),    tau = the (k+1)-th largest of ||x_1||_2, ..., ||x_n||_2,
    x_i <- min(1, tau / ||x_i||_2) x_i,

that is, the k submissions of largest norm are clipped to the norm of the largest one left
unclipped. n outputs; needs n >= f+1. As ByzFL's `ARC` (byzfl/aggregators/preaggregators.py),
which clips the k largest (ties in norm change nothing: a row of norm tau is left as it is).
k is computed in integers, (2 f (n - f)) // n; ByzFL's int((2 f / n) (n - f)) in floating point
falls one short where the product is an integer rounded down (n < 300: n=121, f=66 and four
more, all with f > n/8).

Non-finite input: norms as in static clipping (`aggregators.clip`): a row with a non-finite
coordinate has norm +Inf. For n >= 2f, k >= f, so at most f such rows are all among the k
clipped ones, tau is the norm of a finite row, and they become 0 (no direction to keep); every
other row is clipped exactly. With more than k of them tau is +Inf and no row is clipped.
"""

import tensorflow as tf

from aggregators import clip, registry
from aggregators.pre_aggregation import Step


def clipped_count(n, f):
    """k = floor(2 (f/n) (n - f))."""
    return (2 * f * (n - f)) // n


def pre_aggregate(gradients, f):
    """The n ARC outputs [n, d]."""
    k = clipped_count(gradients.shape[0], f)
    if k == 0:
        return gradients
    norms = clip.row_norms(gradients)
    threshold = tf.sort(norms, direction="DESCENDING")[k]
    return clip.clip_rows(gradients, norms, threshold)


STEP = registry.register_step(Step(
    name="arc",
    source="Allouah, Guerraoui, Gupta, Jellouli, Rizk, Stephan. The Vital Role of Gradient "
           "Clipping in Byzantine-Resilient Distributed Learning. arXiv:2405.14432, 2024 (ARC)",
    workers=(1, 1),
    step_fn=pre_aggregate,
))
