"""A Little Is Enough (Baruch, Baruch, Goldberg, NeurIPS 2019, "A Little Is Enough: Circumventing
Defenses For Distributed Learning", section 3, Algorithm 3).

Every Byzantine worker submits mean - z * std, per coordinate, over the honest gradients (std the
population standard deviation, ddof = 0). The paper's z: with s = floor(n/2 + 1) - f, the number
of honest workers the adversary needs on its side for a majority, z = Phi^-1((n - s) / n), Phi the
standard normal CDF, so that the Byzantine value stays closer to the mean than about s honest
values per coordinate. Option z overrides it.

z=auto: the omniscient adversary (El Mhamdi et al. 2018, section 2.2) picks, at every step, the z
that maximises ||pipeline(honest, f copies of mean - z std) - mean||_2 against the server's whole
pipeline, by the paper's bounded search (`attacks.factor_search`, `AUTO_BUDGET` evaluations) over
z in [sqrt(h - 1) / 16, sqrt(h - 1)] (h = n - f honest; 1 for h = 1). Why sqrt(h - 1): by Samuelson's
inequality no honest value lies more than sqrt(h - 1) population standard deviations from the
mean, so from z = sqrt(h - 1) on the Byzantine value is beyond every honest value in every
coordinate: coordinate-wise order statistics (median, trimmed mean, the Bulyan rules' last stage)
have stopped moving, and ||B - mean||_2 = z ||std||_2 already reaches the farthest honest gradient
(the same inequality on rows), past which distance-based filters discard B. Past it the attack is
no longer "a little"; rules that are not robust (average) simply peak at the bracket's end.
"""

import math
import statistics

import tensorflow as tf

from attacks import factor_search, inputs, options as options_lib
from attacks.attack import Attack
from attacks.registry import register

AUTO_BUDGET = 16  # evaluations of the server's pipeline per step for z=auto


def default_z(n, f):
    """Baruch et al.'s z_max = Phi^-1((n - s) / n), s = floor(n/2 + 1) - f; ValueError if s < 1."""
    s = math.floor(n / 2 + 1) - f
    if s < 1 or s >= n:
        raise ValueError(f"attack 'alie' needs s = floor(n/2 + 1) - f >= 1, got s={s} with n={n}, "
                         f"f={f}; give option z explicitly")
    return statistics.NormalDist().inv_cdf((n - s) / n)


def auto_z_bracket(h):
    """The upper end of z=auto's search, sqrt(h - 1) (1 for h = 1): see the module doc."""
    return math.sqrt(max(h - 1, 1))


def alie(honest, context, z):
    """[f, d]: f copies of mean - z * std (per coordinate, over the honest gradients).
    Option z: a number, None (the default: Baruch et al.'s z_max from n and f) or "auto" (the z
    that displaces the server's pipeline most, searched at every step). Logs "z", and for
    z=auto "displacement" (||pipeline - mean(honest)||_2 for the submitted gradients)."""
    honest = inputs.honest_matrix("alie", honest, context)
    if z == options_lib.AUTO:
        return _alie_auto(honest, context)
    options_lib.require("alie", z is None or math.isfinite(z), f"z must be finite, got z={z}")
    z = z if z is not None else default_z(context.n, context.f)
    mean = tf.reduce_mean(honest, axis=0)
    std = tf.math.reduce_std(honest, axis=0)
    context.log("z", z)
    return inputs.replicate(mean - z * std, context.f)


def _alie_auto(honest, context):
    """alie with z=auto (module doc)."""
    mean = tf.reduce_mean(honest, axis=0)
    std = tf.math.reduce_std(honest, axis=0)
    z, displacement = factor_search.most_displacing(
        honest, context, lambda z: mean - z * std, auto_z_bracket(honest.shape[0]), AUTO_BUDGET)
    context.log("z", z)
    context.log("displacement", displacement)
    return inputs.replicate(mean - z * std, context.f)


register(Attack(
    "alie",
    source='Baruch, Baruch, Goldberg, NeurIPS 2019, "A Little Is Enough: Circumventing Defenses '
           'For Distributed Learning", section 3, Algorithm 3',
    attack_fn=alie,
    options={"z": None},
    auto=("z",),
    description="A Little Is Enough (Baruch et al. 2019): mean - z * std per coordinate "
                "(z=auto: the z that displaces the server's pipeline most)",
))
