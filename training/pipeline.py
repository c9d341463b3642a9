"""The server's pipeline at one step: the rule, or chain of pre-aggregation steps and a rule
(`aggregators.chain`, "bucketing+krum"), and the options it runs with at step t.

Bucketing (Karimireddy, He, Jaggi, ICLR 2022, "Byzantine-Robust Learning on Heterogeneous Datasets via
Bucketing", Algorithm 1) draws a fresh random permutation of the submissions at every step: when the
chain holds a `bucketing` step, the training step passes the step's own stateless key,
`training.sampling.rule_seed(seed, t)` (a stream distinct from the data's and the attack's), as its
`bucketing.seed` option. The attack's context gets the same options, so an attack that evaluates the
server's pipeline (`attacks.factor_search`) sees the very buckets the server will use. The seed is the
training step's to set: a `bucketing.seed` in --gar_options is refused (`check`).
"""

import aggregators
from training import sampling

SEED_OPTION = "bucketing.seed"


def rule(config):
    """The `aggregators` Rule (or Chain) of `config.gar`; ValueError naming it when unknown."""
    return aggregators.get(config.gar)


def seeds_bucketing(config):
    """Whether the pipeline holds a `bucketing` step (whose permutation is drawn anew every step)."""
    return any(step.name == "bucketing" for step in getattr(rule(config), "steps", ()))


def check(config):
    """ValueError when --gar_options sets the bucketing seed, which the training step sets every step."""
    if SEED_OPTION in config.gar_options:
        raise ValueError(f"gar_options {SEED_OPTION} is set by the training step (a fresh key every step); "
                         "do not pass it")


def options_at(config, t, seed=None):
    """The rule's options at step `t` (a tensor): `config.gar_options`, plus the step's bucketing seed when
    the pipeline buckets (from the run's `seed`, a number or a tensor; None: `config.seed`)."""
    options = dict(config.gar_options)
    if seeds_bucketing(config):
        options[SEED_OPTION] = sampling.rule_seed(config.seed if seed is None else seed, t)
    return options
