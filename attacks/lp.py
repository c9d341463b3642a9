"""The paper's attack on l_p-norm based rules (section 3.2; appendix B for gamma_m = O(p-th root of d)).

B(gamma) = mean(honest) + gamma * e_j for one coordinate j; all f Byzantine workers submit
B(gamma_m), gamma_m from the bounded search of `attacks.shift` (the paper's "simple linear
regression" replaced by doubling then bisection for selecting rules, a log-grid then a
dichotomous refinement maximising the attacked coordinate's displacement for the others;
`budget` rule evaluations per step).

The paper attacks "any coordinate". The default is the LAST parameter (coordinate -1): for both
models of section 5.1 the output layer's bias of the last class. A coordinate's effect depends on
the model: on the MNIST MLP, coordinate 0 is the weight from the always-black corner pixel, and
a first-layer weight pushed down only silences one hidden unit, so neither hurts accuracy (Krum,
n=57, f=27, 300 steps: 95.9% and 96.0%), while the last bias drives the model to 21%.
"""

from attacks.attack import Attack
from attacks.registry import register
from attacks.shift import shift_attack


def lp(honest, context, coordinate, budget, objective, gamma_scale, gamma_max, log_spread):
    """[f, d]: f copies of mean(honest) + min(gamma_scale * gamma_m, gamma_max) e_j. Logs "gamma" every step, and
    "selected" or "displacement" (see `attacks.shift.shift_attack`).

    Options: coordinate (j, default -1: the last parameter; negative values count from the end),
    budget (rule evaluations per step, default 16, >= 3), objective (for rules that do not select:
    "displacement", the default, maximises how far the attacked coordinate moves; "selected", for
    bulyan-* only, takes the largest gamma for which B is among Bulyan's theta picks),
    gamma_scale (default 1: the f workers submit mean + gamma_scale * gamma_m e_j; for ablations),
    gamma_max (default None, no cap; a number > 0 caps the submitted gamma, for ablations: "gamma" still
    logs gamma_m), log_spread (default 0, off; k >= 1 also logs "delta_bar", appendix B.1's spread of
    the honest gradients, at every k-th step: it changes no submitted number).
    """
    return shift_attack("lp", honest, context, coordinate, budget, objective, gamma_scale, gamma_max, log_spread)


register(Attack(
    "lp",
    source='El Mhamdi, Guerraoui, Rouault, ICML 2018, "The Hidden Vulnerability of Distributed '
           'Learning in Byzantium", section 3.2 and appendix B',
    attack_fn=lp,
    options={"coordinate": -1, "budget": 16, "objective": "displacement", "gamma_scale": 1.0, "gamma_max": None,
             "log_spread": 0},
    description="El Mhamdi et al. 2018, section 3.2: mean + gamma_m on one coordinate",
))
