"""The paper's Figures 2 to 8: every setting, written down once.

Sources: section 5.2 and appendix C.1 of El Mhamdi, Guerraoui, Rouault (ICML 2018). Each figure is a list
of panels; each panel one dataset, learning-rate schedule, attack and step count; each curve one run (or,
for Figure 6, one run per batch size). "Average" is the paper's reference: the mean of the honest workers'
gradients only (n = honest, f = 0, no attack).

Where the paper is silent:
- Figure 4's attack window: the paper does not say it stops; it runs for the whole run, as in Figures 3,
  5 and 8 (only Figures 2 and 7 are said to stop at step 50).
- Figure 6's batch sizes: the paper's x-axis values are not in the text; we sweep 1..83 (MNIST) and 1..128
  (CIFAR-10), which brackets the sizes the text names (24 and 36). Its learning rates are those of
  section 5.2.2 ("we use the same configuration"): MNIST eta0 = 1, r = 10000; CIFAR-10 eta0 = 0.25, r = 2000.
- Figures 7 and 8 use eta0 = 1 (MNIST) and 0.5 (CIFAR-10) per appendix C.1, and the same worker counts as
  Figures 2 and 3.

Every panel and curve has an `id` (panels "mnist", "cifar10", "eta0=0.2", "eta0=1"; curves "average",
"krum", "geomed", "brute", "bulyan-krum"): the claims, the plot styles, the Figure 3 ablation and the run
keys use ids; a `label` is only displayed. Run folders are named from the run's settings alone
(`training.RunConfig.resolved_run_name`), never from an id or a label.
"""

import dataclasses

INF = "inf"
STOP_AT_50 = 50  # Figures 2 and 7: "the attack was maintained only up to epoch 50 (dotted line)"


@dataclasses.dataclass(frozen=True)
class Curve:
    """One line of a figure: an aggregation rule with its worker counts (honest + Byzantine)."""

    id: str  # stable: claims, plot styles and run keys use it
    label: str  # the legend's text, display only
    gar: str
    honest: int
    byzantine: int
    batch_size: int
    gar_options: tuple = ()  # (key, value) pairs, e.g. (("norm", "inf"),)
    attacked: bool = True  # False for the "Average" reference, which sees no Byzantine worker

    @property
    def n(self):
        return self.honest + self.byzantine

    def run_fields(self):
        """The `training.RunConfig` fields this curve sets."""
        return {"gar": self.gar, "gar_options": dict(self.gar_options), "n": self.n, "f": self.byzantine,
                "batch_size": self.batch_size}


@dataclasses.dataclass(frozen=True)
class Panel:
    """One plot: accuracy against step (x="step") or accuracy at `steps` against batch size."""

    id: str  # stable: claims and run keys use it
    label: str  # the plot's title, display only
    dataset: str
    lr0: float
    lr_decay: float
    steps: int
    curves: tuple
    attack: str = "none"
    attack_options: tuple = ()  # (key, value) pairs for the attack (ablations; the paper's figures use none)
    attack_stop: int = None  # None: never stops
    x: str = "step"
    batch_sizes: tuple = ()  # x="batch_size" only
    preset_steps: tuple = ()  # (preset name, share of `steps`) pairs where a preset's default share is too short

    def curve(self, curve_id):
        """The curve `curve_id` of this panel; ValueError naming the panel's curves."""
        for curve in self.curves:
            if curve.id == curve_id:
                return curve
        raise ValueError(f"panel {self.id!r} has no curve {curve_id!r}; curves: "
                         f"{', '.join(c.id for c in self.curves)}")

    def run_fields(self, curve):
        """The `training.RunConfig` fields this panel sets for `curve` (an unattacked curve: no attack)."""
        attacked = curve.attacked and self.attack != "none"
        return {"dataset": self.dataset, "lr0": self.lr0, "lr_decay": self.lr_decay,
                "attack": self.attack if attacked else "none",
                "attack_stop": self.attack_stop if attacked else None,
                "attack_options": dict(self.attack_options) if attacked else {}}


@dataclasses.dataclass(frozen=True)
class Figure:
    number: int
    caption: str  # the paper's caption, abridged; {steps}: the number of steps actually run
    section: str
    panels: tuple

    def panel(self, panel_id):
        """The panel `panel_id`; ValueError naming the figure's panels."""
        for panel in self.panels:
            if panel.id == panel_id:
                return panel
        raise ValueError(f"Figure {self.number} has no panel {panel_id!r}; panels: "
                         f"{', '.join(p.id for p in self.panels)}")

    def label(self, key):
        """The display text of a run key (panel id, curve id[, batch size]): the curve's label, then the
        batch size ("Average / 128")."""
        curve = self.panel(key[0]).curve(key[1]).label
        return " / ".join([curve, *map(str, key[2:])])


def _attack_figure(dataset, n_honest, batch, brute_batch, norm, average_label):
    """The curves of Figures 2, 3, 7, 8: Average, Krum, GeoMed, Brute under the attack."""
    options = (("norm", norm),) if norm != 2 else ()
    suffix = " (norm ∞)" if norm == INF else ""
    byzantine = {"mnist": 27, "cifar10": 18}[dataset]
    return (
        Curve("average", average_label, "average", n_honest, 0, batch, attacked=False),
        Curve("krum", "Krum" + suffix, "krum", n_honest, byzantine, batch, options),
        Curve("geomed", "GeoMed" + suffix, "geomed", n_honest, byzantine, batch, options),
        Curve("brute", "Brute" + suffix, "brute", 6, 5, brute_batch, options),
    )


def _bulyan_curves(batch):
    """The curves of Figures 4 and 5: 30 honest + 9 Byzantine workers (section 5.2.2)."""
    return (
        Curve("average", "Average", "average", 30, 0, batch, attacked=False),
        Curve("krum", "Krum", "krum", 30, 9, batch),
        Curve("geomed", "GeoMed", "geomed", 30, 9, batch),
        Curve("bulyan-krum", "Bulyan (A = Krum)", "bulyan-krum", 30, 9, batch),
    )


def _cost_curves(batch):
    """Figure 6: n = 39 workers, no adversary, f declared to 9 (section 5.2.3)."""
    return (
        Curve("average", "Average", "average", 39, 0, batch, attacked=False),
        Curve("bulyan-krum", "Bulyan", "bulyan-krum", 30, 9, batch, attacked=False),
    )


FIGURES = {
    2: Figure(2, "MNIST: accuracy on the testing set up to epoch {steps}, under our attack, maintained "
                 "only up to epoch 50 (dotted line).", "5.2.1", (
        Panel("mnist", "MNIST", "mnist", lr0=1.0, lr_decay=10000, steps=1000, attack="lp",
              attack_stop=STOP_AT_50, curves=_attack_figure("mnist", 30, 83, 256, 2, "Average")),)),
    3: Figure(3, "CIFAR-10: accuracy on the testing set up to epoch {steps}, under our attack (never stopped).",
              "5.2.1", (
        Panel("cifar10", "CIFAR-10", "cifar10", lr0=0.1, lr_decay=2000, steps=1000, attack="lp",
              curves=_attack_figure("cifar10", 21, 128, 256, 2, "Average")),)),
    4: Figure(4, "MNIST: accuracy on the testing set up to {steps} epochs for Krum, GeoMed, Bulyan (A = Krum); "
                 "the impact of the learning rate (section 3.1).", "5.2.2", (
        Panel("eta0=0.2", "MNIST, η0 = 0.2", "mnist", lr0=0.2, lr_decay=10000, steps=500, attack="lp",
              curves=_bulyan_curves(83)),
        Panel("eta0=1", "MNIST, η0 = 1", "mnist", lr0=1.0, lr_decay=10000, steps=500, attack="lp",
              curves=_bulyan_curves(83)),)),
    5: Figure(5, "CIFAR-10: accuracy on the testing set up to {steps} epochs for Krum, GeoMed, Bulyan "
                 "(A = Krum); the mean of the non-Byzantine gradients is the reference.", "5.2.2", (
        Panel("cifar10", "CIFAR-10", "cifar10", lr0=0.25, lr_decay=2000, steps=1000, attack="lp",
              curves=_bulyan_curves(128)),)),
    6: Figure(6, "Accuracy on the testing set at epoch {steps} for Average and Bulyan, n = 39 workers, no "
                 "adversary, f declared to 9: the cost of Bulyan against the batch size.", "5.2.3", (
        Panel("mnist", "MNIST", "mnist", lr0=1.0, lr_decay=10000, steps=250, x="batch_size",
              batch_sizes=(1, 3, 6, 12, 24, 48, 83), curves=_cost_curves(None)),
        Panel("cifar10", "CIFAR-10", "cifar10", lr0=0.25, lr_decay=2000, steps=250, x="batch_size",
              batch_sizes=(1, 4, 9, 18, 36, 72, 128), curves=_cost_curves(None)),)),
    7: Figure(7, "MNIST: accuracy on the testing set up to epoch {steps} under the attack for l_inf-based "
                 "rules, maintained only up to epoch 50 (dotted line).", "C.1", (
        Panel("mnist", "MNIST", "mnist", lr0=1.0, lr_decay=10000, steps=1000, attack="linf",
              attack_stop=STOP_AT_50, curves=_attack_figure("mnist", 30, 83, 256, INF, "Average (no attack)")),)),
    8: Figure(8, "CIFAR-10: accuracy on the testing set up to epoch {steps} under the attack for l_inf-based "
                 "rules (never stopped).", "C.1", (
        Panel("cifar10", "CIFAR-10", "cifar10", lr0=0.5, lr_decay=2000, steps=1000, attack="linf",
              curves=_attack_figure("cifar10", 21, 128, 256, INF, "Average (no attack)"),
              preset_steps=(("quick", 0.5),)),)),  # at eta0 = 0.5, Average passes 40% only after step 400
}


def get(number):
    """The settings of Figure `number` (2 to 8)."""
    try:
        return FIGURES[number]
    except KeyError:
        raise ValueError(f"no Figure {number} in the paper's experiments; figures: "
                         f"{', '.join(map(str, sorted(FIGURES)))}") from None
