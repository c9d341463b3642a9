"""The paper's attack on l_inf-norm based rules (section 3.3; Figures 7 and 8).

B(gamma) = mean(honest) + gamma * (1, ..., 1): moving every coordinate by gamma barely changes
the l_inf distance to the honest gradients, so the f copies of B(gamma_m) pass rules run with
`norm="inf"`; the attack applies to any rule. gamma_m: the bounded search of `attacks.shift`.
"""

from attacks.attack import Attack
from attacks.registry import register
from attacks.shift import shift_attack


def linf(honest, context, budget, objective, gamma_scale, gamma_max, log_spread):
    """[f, d]: f copies of mean(honest) + min(gamma_scale * gamma_m, gamma_max) (1, ..., 1). Logs "gamma" every
    step, and "selected" or "displacement" (see `attacks.shift.shift_attack`).

    Options: budget (rule evaluations per step, default 16, >= 3), objective ("displacement" or
    "selected", as for `lp`; the displacement is the mean shift of the coordinates times sqrt(d)),
    gamma_scale (default 1: the f workers submit mean + gamma_scale * gamma_m (1, ..., 1)), gamma_max
    (default None, no cap; a number > 0 caps the submitted gamma, as for `lp`), log_spread (default 0;
    k >= 1 also logs "delta_bar" every k-th step, as for `lp`).
    """
    return shift_attack("linf", honest, context, None, budget, objective, gamma_scale, gamma_max, log_spread)


register(Attack(
    "linf",
    source='El Mhamdi, Guerraoui, Rouault, ICML 2018, "The Hidden Vulnerability of Distributed '
           'Learning in Byzantium", section 3.3',
    attack_fn=linf,
    options={"budget": 16, "objective": "displacement", "gamma_scale": 1.0, "gamma_max": None,
             "log_spread": 0},
    description="El Mhamdi et al. 2018, section 3.3: mean + gamma_m on every coordinate",
))
