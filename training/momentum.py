"""Worker momentum (El Mhamdi, Guerraoui, Rouault, ICLR 2021, "Distributed Momentum for
Byzantine-resilient Stochastic Gradient Descent": the momentum computed at the workers, not the server).

Each worker i that computes gradients keeps m_i (m_i = 0 before its first step) and submits

    m_i <- beta m_i + (1 - dampening) g_i

instead of its gradient g_i (the paper: dampening 0; ByzFL: dampening = beta, an exponential moving
average). The server's rule then aggregates the momenta; the update is x <- x - eta(t) F(m_1, ..., m_n).
The attacker sees the honest momenta (they are the honest submissions). The paper's point: the momenta
vary less, relative to their norm, than the gradients, which the rules' resilience conditions favour:
for a slowly changing expected gradient, a momentum's variance over its squared norm is about
(1 - beta) / (1 + beta) times the gradient's.

beta = 0 (the default) is plain SGD: the step uses the gradients as they are, bit for bit, and keeps no
state. Otherwise the momenta [workers, d] are a variable of the training step (`training.step_state`),
checkpointed with the parameters, so a resumed run repeats bit for bit.
"""

import tensorflow as tf


def enabled(config):
    """Whether the workers use momentum (beta > 0)."""
    return config.momentum > 0


def accumulate(momenta, gradients, beta, dampening):
    """momenta <- beta * momenta + (1 - dampening) * gradients (`momenta` a [w, d] variable, `gradients`
    [w, d]); returns the new momenta.

    Two variable updates, a product then an add into the variable, so that the two products are rounded
    each, then added, whatever graph the step runs in: written as one expression after the gradients'
    own sum (data term + l2 term, `training.gradients`), grappler's arithmetic optimiser may regroup the
    chain of additions into one AddN, whose rounding differs, and only in the graphs where no op (such
    as a tf.distribute all_gather) stands between them; the momenta would then depend on the strategy."""
    dtype = gradients.dtype
    momenta.assign(tf.constant(beta, dtype) * momenta.read_value())
    momenta.assign_add(tf.constant(1.0 - dampening, dtype) * gradients)
    return momenta.read_value()
