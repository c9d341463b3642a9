"""A Little Is Enough (Baruch, Baruch, Goldberg, NeurIPS 2019, "A Little Is Enough: Circumventing
Defenses For Distributed Learning", section 3, Algorithm 3).

Every Byzantine worker submits mean - z * std, per coordinate, over the honest gradients (std the
population standard deviation, ddof = 0). The paper's z: with s = floor(n/2 + 1) - f, the number
of honest workers the adversary needs on its side for a majority, z = Phi^-1((n - s) / n), Phi the
standard normal CDF, so that the Byzantine value stays closer to the mean than about s honest
values per coordinate. Option z overrides it.
"""

import math
import statistics

import tensorflow as tf

from attacks import inputs
from attacks.attack import Attack
from attacks.registry import register


def default_z(n, f):
    """Baruch et al.'s z_max = Phi^-1((n - s) / n), s = floor(n/2 + 1) - f; ValueError if s < 1."""
    s = math.floor(n / 2 + 1) - f
    if s < 1 or s >= n:
        raise ValueError(f"attack 'alie' needs s = floor(n/2 + 1) - f >= 1, got s={s} with n={n}, "
                         f"f={f}; give option z explicitly")
    return statistics.NormalDist().inv_cdf((n - s) / n)


def alie(honest, context, z):
    """[f, d]: f copies of mean - z * std (per coordinate, over the honest gradients).
    Option z (default None: Baruch et al.'s z_max from n and f). Logs "z"."""
    honest = inputs.honest_matrix("alie", honest, context)
    z = z if z is not None else default_z(context.n, context.f)
    mean = tf.reduce_mean(honest, axis=0)
    std = tf.math.reduce_std(honest, axis=0)
    context.log("z", z)
    return inputs.replicate(mean - z * std, context.f)


register(Attack(
    "alie",
    source='Baruch, Baruch, Goldberg, NeurIPS 2019, "A Little Is Enough: Circumventing Defenses '
           'For Distributed Learning", section 3, Algorithm 3',
    attack_fn=alie,
    options={"z": None},
    description="A Little Is Enough (Baruch et al. 2019): mean - z * std per coordinate",
))
