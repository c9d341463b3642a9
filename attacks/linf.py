"""The paper's attack on l_inf-norm based rules (section 3.3; Figures 7 and 8).

B(gamma) = mean(honest) + gamma * (1, ..., 1): moving every coordinate by gamma barely changes
the l_inf distance to the honest gradients, so the f copies of B(gamma_m) pass rules run with
`norm="inf"`; the attack applies to any rule. gamma_m: the bounded search of `attacks.shift`.
"""

from attacks import options as options_lib
from attacks.registry import register
from attacks.shift import shift_attack

DEFAULTS = {"budget": 16}


@register("linf", "El Mhamdi et al. 2018, section 3.3: mean + gamma_m on every coordinate")
def linf(honest, context, **options):
    """[f, d]: f copies of mean(honest) + gamma_m (1, ..., 1). Logs "gamma" every step.

    Option budget (rule evaluations per step, default 16, >= 3).
    """
    settings = options_lib.resolve("linf", options, DEFAULTS)
    return shift_attack("linf", honest, context, None, settings["budget"])
