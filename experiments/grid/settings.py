"""The robustness grid's rows (rules), columns (attacks) and data splits: written down once.

Rows: the paper's rules (El Mhamdi, Guerraoui, Rouault, ICML 2018: Krum, GeoMed, Bulyan(Krum), and Average
as the reference), today's rules, pre-aggregation chains read left to right (`aggregators.get("nnm+krum")`),
and worker momentum on five of them. Columns: no attack, the paper's two attacks (section 3.2 `lp`, 3.3
`linf`) and today's. Each rule's and attack's source is its registry's (`aggregators.get(name).source`,
`attacks.get(name).source`), printed in the report, not retyped here.

Every row and column has an `id` (stable: run keys, `--rules`, `--attacks` and the tables use it) and a
`label` (display only). Run folders are named from the run's settings alone (`RunConfig`'s derived name),
never from an id. A rule or chain name that is no row id (`--rules=my-rule`) gets a row of its own, id and
label its name; an attack name that is no column id likewise gets a column (`custom_row`, `custom_column`).
"""

import dataclasses

REFERENCE = ("average", "none")  # (row id, column id): Average without attack, in every grid


@dataclasses.dataclass(frozen=True)
class Row:
    """One rule of the grid: an aggregation rule or chain, its options, and worker momentum."""

    id: str
    label: str
    gar: str
    gar_options: tuple = ()  # (key, value) pairs
    momentum: float = 0.0  # worker momentum beta (El Mhamdi, Guerraoui, Rouault, ICLR 2021)
    momentum_dampening: float = 0.0
    without_momentum: str = None  # the id of the same row without momentum (momentum rows)

    @property
    def chain(self):
        """Whether the rule is a pre-aggregation chain ("nnm+krum")."""
        return "+" in self.gar

    def run_fields(self):
        """The `training.RunConfig` fields this row sets."""
        return {"gar": self.gar, "gar_options": dict(self.gar_options), "momentum": self.momentum,
                "momentum_dampening": self.momentum_dampening}


@dataclasses.dataclass(frozen=True)
class Column:
    """One attack of the grid, with its options; `factor`: the metrics column logging the factor the attack
    used at each step (gamma, z, epsilon), `searched`: whether it searches that factor every step,
    `spread`: the column logging the spread of the honest submissions at each step (lp, linf: delta_bar)."""

    id: str
    label: str
    attack: str
    options: tuple = ()  # (key, value) pairs
    factor: str = None
    searched: bool = False
    spread: str = None  # the metrics column logging the honest submissions' spread, the factor's unit

    def run_fields(self):
        """The `training.RunConfig` fields this column sets."""
        return {"attack": self.attack, "attack_options": dict(self.options)}


MOMENTUM = 0.9  # beta, with dampening 0.9: m <- 0.9 m + 0.1 g (ByzFL's convention; Karimireddy et al. 2021)


def _momentum_row(base):
    return Row(f"{base.id}+momentum", f"{base.label}, momentum {MOMENTUM:g}", base.gar, base.gar_options,
               MOMENTUM, MOMENTUM, without_momentum=base.id)


_RULES = (
    # the paper's (ICML 2018, section 2.3 and 4); "average" is the reference
    Row("average", "Average", "average"),
    Row("krum", "Krum", "krum"),
    Row("geomed", "GeoMed", "geomed"),
    Row("bulyan-krum", "Bulyan (Krum)", "bulyan-krum"),
    # today's rules
    Row("median", "Median", "median"),
    Row("trimmed-mean", "Trimmed mean", "trimmed-mean"),
    Row("multi-krum", "Multi-Krum", "multi-krum"),
    Row("geometric-median", "Geometric median", "geometric-median"),
    Row("centered-clipping", "Centered clipping", "centered-clipping"),
    # pre-aggregation chains (NNM: Allouah et al., AISTATS 2023; ARC: Allouah et al. 2024; bucketing:
    # Karimireddy, He, Jaggi, ICLR 2022)
    Row("nnm+krum", "NNM + Krum", "nnm+krum"),
    Row("nnm+trimmed-mean", "NNM + trimmed mean", "nnm+trimmed-mean"),
    Row("nnm+geometric-median", "NNM + geometric median", "nnm+geometric-median"),
    Row("arc+nnm+trimmed-mean", "ARC + NNM + trimmed mean", "arc+nnm+trimmed-mean"),
    Row("bucketing+median", "Bucketing + median", "bucketing+median"),
)
_BY_ID = {row.id: row for row in _RULES}
ROWS = _RULES + tuple(_momentum_row(_BY_ID[id_]) for id_ in
                      ("krum", "bulyan-krum", "trimmed-mean", "centered-clipping", "nnm+trimmed-mean"))

SPREAD_EVERY = 50  # steps between two measures of the honest submissions' spread under lp and linf

COLUMNS = (
    Column("none", "No attack", "none"),
    # the paper's attacks: gamma searched at every step against the server's rule (section 3); they also
    # log appendix B.1's spread of the honest submissions, delta_bar, the unit of gamma's leeway, every
    # SPREAD_EVERY steps (it costs 3 to 4 steps)
    Column("lp", "lp (paper)", "lp", (("log_spread", SPREAD_EVERY),), factor="gamma", searched=True,
           spread="delta_bar"),
    Column("linf", "linf (paper)", "linf", (("log_spread", SPREAD_EVERY),), factor="gamma", searched=True,
           spread="delta_bar"),
    # A Little Is Enough: Baruch et al.'s z_max, and the z that displaces the server's pipeline most
    Column("alie", "ALIE", "alie", factor="z"),
    Column("alie-auto", "ALIE, z=auto", "alie", (("z", "auto"),), factor="z", searched=True),
    # inner-product manipulation: epsilon = 0.1 (Xie et al.'s against Krum), and searched
    Column("ipm", "IPM, ε=0.1", "ipm", (("epsilon", 0.1),), factor="epsilon"),
    Column("ipm-auto", "IPM, ε=auto", "ipm", (("epsilon", "auto"),), factor="epsilon", searched=True),
    Column("signflip", "Sign flip", "signflip"),
    Column("labelflip", "Label flip", "labelflip"),
    Column("mimic", "Mimic", "mimic"),
    # Shejwalkar and Houmansadr, NDSS 2021: gamma found by Algorithm 1's bisection
    Column("minmax", "Min-Max", "minmax", factor="gamma", searched=True),
    Column("minsum", "Min-Sum", "minsum", factor="gamma", searched=True),
)

# The data splits: the paper's i.i.d. workers, and each class split over the honest workers by
# Dirichlet(0.5) proportions (Allouah et al., AISTATS 2023, section 6; `training.heterogeneity`).
SPLITS = ("iid", "dirichlet:0.5")


def row(row_id):
    """The row `row_id`: a preset row, or a row of its own for any registered rule or chain name
    (`custom_row`). ValueError listing the known row ids otherwise."""
    for known in ROWS:
        if known.id == row_id:
            return known
    return custom_row(row_id)


def custom_row(name):
    """A row for the rule or chain `name` (id and label: the name); ValueError when no such rule."""
    import aggregators

    try:
        aggregators.get(name)
    except ValueError:
        raise ValueError(f"unknown row {name!r}; rows: {', '.join(r.id for r in ROWS)}, or any rule or chain "
                         f"name (rules: {', '.join(aggregators.names())})") from None
    return Row(name, name, name)


def column(column_id):
    """The column `column_id`: a preset column, or a column of its own for any registered attack name
    (`custom_column`). ValueError listing the known column ids otherwise."""
    for known in COLUMNS:
        if known.id == column_id:
            return known
    return custom_column(column_id)


def custom_column(name):
    """A column for the attack `name` with its default options (id and label: the name)."""
    import attacks

    if name not in attacks.names():
        raise ValueError(f"unknown column {name!r}; columns: {', '.join(c.id for c in COLUMNS)}, or any attack "
                         f"name (attacks: {', '.join(attacks.names())})")
    return Column(name, name, name)


def split(spec):
    """The data split `spec` as written in `RunConfig.heterogeneity` (iid, dirichlet:ALPHA, classes:K);
    ValueError, one line, otherwise."""
    from training import heterogeneity

    try:
        heterogeneity.parse(spec)
    except ValueError as error:
        raise ValueError(f"--data: {error}") from None
    return spec.strip()
