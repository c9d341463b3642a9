"""Who does what at a step: which workers are Byzantine, which compute gradients, which hold data shares.

Workers 0, ..., n - 1; under an attack the last f are Byzantine (paper, section 2.2). The rows of the
step's gradient matrix are the workers that compute gradients (`computing_workers`), in order:
- no attack (`none`, or f = 0): all n, honest (Figure 6);
- an attack over the whole run: the n - f honest workers only, the attack making up the f others;
- an attack window: all n; the last f behave honestly outside the window;
- an attack that needs its own gradients (`flipped_gradients`: labelflip): all n, the last f on their
  own mini-batches with flipped labels while the attack is active.
The honest workers (`honest_count`) hold the data shares of `training.heterogeneity`; the Byzantine
workers that compute gradients draw from the whole training set.
"""

import attacks


def is_attacked(config):
    """Whether Byzantine gradients replace the last f workers' at some step."""
    return config.f > 0 and not getattr(attacks.get(config.attack), "honest", False)


def whole_run_attack(config):
    return config.attack_start == 0 and config.attack_stop is None


def needs(config, what):
    """Whether the run's attack needs `what` (an `attacks.attack.INPUTS` name) from the step."""
    return is_attacked(config) and what in attacks.get(config.attack).needs


def computing_workers(config):
    """How many workers compute gradients each step (the rows of the step's gradient matrix)."""
    if is_attacked(config) and whole_run_attack(config) and not needs(config, "flipped_gradients"):
        return config.n - config.f
    return config.n


def honest_count(config):
    """The honest workers: n - f under an attack, n otherwise (`none` with f declared, Figure 6)."""
    return config.n - config.f if is_attacked(config) else config.n
