"""Gaussian Byzantine workers (Blanchard, El Mhamdi, Guerraoui, Stainer, NeurIPS 2017, "Machine
Learning with Adversaries: Byzantine Tolerant Gradient Descent", section 5: Byzantine workers
submit Gaussian vectors with zero mean and isotropic covariance, standard deviation 200).

By default each of the f workers submits its own draw of N(0, sigma^2 I), sigma = 200 (pure
noise, as in Blanchard et al.); with `mean=true` the noise is added to mean(honest) instead.
The noise comes from `tf.random.stateless_normal` keyed by `context.seed`, so runs repeat exactly.
"""

import tensorflow as tf

from attacks import inputs, options as options_lib
from attacks.attack import Attack
from attacks.registry import register


def gaussian(honest, context, sigma, mean):
    """[f, d]: f independent draws of N(0, sigma^2 I) (plus mean(honest) if mean=true).
    Options sigma (default 200, >= 0) and mean (default false). Logs "sigma"."""
    options_lib.require("gaussian", sigma >= 0, f"sigma must be >= 0, got sigma={sigma}")
    honest = inputs.honest_matrix("gaussian", honest, context)
    d = honest.shape[1]
    noise = tf.random.stateless_normal([context.f, d], seed=context.seed, dtype=honest.dtype)
    byzantine = sigma * noise
    if mean:
        byzantine += tf.reduce_mean(honest, axis=0)[None, :]
    context.log("sigma", sigma)
    return byzantine


register(Attack(
    "gaussian",
    source='Blanchard, El Mhamdi, Guerraoui, Stainer, NeurIPS 2017, "Machine Learning with '
           'Adversaries: Byzantine Tolerant Gradient Descent", section 5',
    attack_fn=gaussian,
    options={"sigma": 200.0, "mean": False},
    description="Gaussian noise (Blanchard et al. 2017): N(0, sigma^2), or mean + noise",
))
