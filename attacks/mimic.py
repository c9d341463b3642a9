"""Mimic (Karimireddy, He, Jaggi, ICLR 2022, "Byzantine-Robust Learning on Heterogeneous Datasets via
Bucketing": the mimic attack, in the warm-up variant of the authors' code).

Under heterogeneous data the honest submissions differ systematically; the f Byzantine workers all copy
one honest worker i*, which over-weights that worker's data and under-weights the others' without ever
submitting an outlier. i* is the honest worker the farthest along z, the top principal direction of the
centred honest submissions:

    i* = argmax_i <g_i, z>.

z is estimated during the first `warmup` calls of the attack (option, default 1), as in the authors' code
(`MimicVariantAttacker`): with mu the running mean of the honest means and one power-iteration step per
call on the running average of the centred outer products,

    call 0:  mu = mean_i g_i,  z = normalise(sum_i <g_i - mu, z_0> (g_i - mu)),  z_0 ~ N(0, I_d)
    call t:  mu <- t/(t+1) mu + mean_i g_i / (t+1),
             z <- normalise(t/(t+1) z + normalise(sum_i <g_i - mu, z> (g_i - mu)) / (t+1)),

(z_0 drawn with the step's seed, `context.seed`; a zero vector normalises to zero). i* is re-chosen at every
warm-up call; afterwards z and i* stay fixed (the authors observe that i* hardly changes) and the Byzantine
workers copy worker i*'s current submission. Needs "state" (mu, z, i*, the calls so far), which the training
step keeps and checkpoints; logs "target" (i*).
"""

import tensorflow as tf

from attacks import inputs
from attacks.attack import Attack
from attacks.registry import register


def state_spec(n, f, d):
    """mu [d], z [d], the copied honest worker, the attack's calls so far."""
    return {"mu": ([d], "float32"), "z": ([d], "float32"), "target": ([], "int32"), "calls": ([], "int64")}


def _normalised(vector):
    return tf.math.divide_no_nan(vector, tf.norm(vector))


def _power_step(centred, z):
    """normalise(sum_i <c_i, z> c_i): one power-iteration step on sum_i c_i c_i^T."""
    return _normalised(tf.linalg.matvec(centred, tf.linalg.matvec(centred, z), transpose_a=True))


def mimic(honest, context, warmup):
    """[f, d]: f copies of honest row i* (module doc). Option warmup (default 1, >= 1)."""
    honest = inputs.honest_matrix("mimic", honest, context)
    if warmup < 1:
        raise ValueError(f"attack 'mimic': option 'warmup' must be >= 1, got {warmup}")
    state = context.state
    dtype = honest.dtype
    calls = state["calls"]
    t = tf.cast(calls, dtype)
    first = tf.equal(calls, 0)
    mean = tf.reduce_mean(honest, axis=0)
    old_mu, old_z = tf.cast(state["mu"], dtype), tf.cast(state["z"], dtype)
    mu = tf.where(first, mean, t / (t + 1) * old_mu + mean / (t + 1))
    start = tf.random.stateless_normal([honest.shape[1]], context.seed, dtype=dtype)
    direction = _power_step(honest - mu, tf.where(first, start, old_z))
    z = tf.where(first, direction, _normalised(t / (t + 1) * old_z + direction / (t + 1)))
    warming = calls < warmup
    mu, z = tf.where(warming, mu, old_mu), tf.where(warming, z, old_z)
    chosen = tf.argmax(tf.linalg.matvec(honest, z), output_type=tf.int32)
    target = tf.where(warming, chosen, state["target"])
    context.set_state("mu", mu)
    context.set_state("z", z)
    context.set_state("target", target)
    context.set_state("calls", calls + 1)
    context.log("target", target)
    return inputs.replicate(tf.gather(honest, target), context.f)


register(Attack(
    "mimic",
    source='Karimireddy, He, Jaggi, ICLR 2022, "Byzantine-Robust Learning on Heterogeneous Datasets '
           'via Bucketing", the mimic attack (warm-up variant)',
    attack_fn=mimic,
    options={"warmup": 1},
    needs=("honest", "state"),
    state_spec=state_spec,
    description="mimic (Karimireddy et al. 2022): copy the honest worker farthest along the top "
                "principal direction, found over a warm-up",
))
