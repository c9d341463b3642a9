"""The grid's presets: which rows, columns, splits and seeds, and the runs' settings (without TensorFlow).

- `paper`: Figure 4's eta0 = 1 panel (El Mhamdi, Guerraoui, Rouault, ICML 2018, section 5.2.2), read from
  `experiments.paper.settings`: MNIST, the paper's MLP, 30 honest + 9 Byzantine workers (n = 39 = 4f + 3,
  Bulyan's minimum), batch 83, eta0 = 1, r = 10000, 500 steps; accuracy every 50 steps on the whole test
  set. Every row and column; `iid` over seeds 1-3, `dirichlet:0.5` over seed 1.
- `quick`: every row and column on `iid`, seed 1, for 2 CPU cores: 150 steps, accuracy on 2,000 test
  images every 50 steps, and 9 honest + 2 Byzantine workers (n = 11 = 4f + 3, Bulyan's minimum, as the
  paper's 39 = 4 * 9 + 3; f/n = 0.18 against the paper's 0.23). Average without attack ends at 91.4%
  (seed 1; 90.2% at step 100, hence 150 steps). Cost, measured at load 5 on 2 shared cores: a cell takes
  5 to 10 s (about half of it tracing the step), 7 to 13 s under a searching attack (lp, linf, alie-auto,
  ipm-auto: 16 evaluations of the rule per step), 25 to 35 s for a searching attack on the costlier rules
  (geometric median, NNM chains); at n = 39 about twice as much. The 228 cells: about
  45 min at that load; on the 2 idle cores, 18.4 min wall (16.9 min of training, 4.4 s per cell, the rest
  imports, data and plots), Average without attack at 91.4%. `--data=dirichlet:0.5` adds the
  heterogeneous split (as many cells again).
- `micro`: n = 11 = 4f + 3 with f = 2 (every row's minimum holds), 4 steps, a handful of rows and columns:
  the test suite's plumbing, not science.

Every row's minimum n holds at each preset's n and f (Bulyan: 4f + 3; bucketing + median: 4f + 1).
"""

import dataclasses

from experiments.grid import settings
from experiments.paper import settings as paper_settings

_FIGURE4 = paper_settings.get(4).panel("eta0=1")
_FIGURE4_WORKERS = _FIGURE4.curve("bulyan-krum")  # 30 honest + 9 Byzantine, batch 83


@dataclasses.dataclass(frozen=True)
class Preset:
    name: str
    dataset: str
    honest: int
    byzantine: int
    batch_size: int
    lr0: float
    lr_decay: float
    steps: int
    eval_every: int
    eval_examples: int  # None: the whole test set
    checkpoint_every: int
    rows: tuple  # row ids, in display order
    columns: tuple  # column ids
    splits: tuple  # (split, seeds) pairs: the data splits and each one's seeds

    @property
    def n(self):
        return self.honest + self.byzantine

    def seeds(self, split):
        """The default seeds of `split` (seed 1 for a split the preset does not list)."""
        return dict(self.splits).get(split, (1,))

    def run_fields(self):
        """The `training.RunConfig` fields every cell of this preset shares."""
        return {"dataset": self.dataset, "n": self.n, "f": self.byzantine, "batch_size": self.batch_size,
                "lr0": self.lr0, "lr_decay": self.lr_decay, "steps": self.steps, "eval_every": self.eval_every,
                "eval_examples": self.eval_examples, "checkpoint_every": self.checkpoint_every}

    def describe(self):
        """One line for the heatmaps and the tables."""
        test = f"{self.eval_examples:,} test images" if self.eval_examples else "the whole test set"
        return (f"preset {self.name}: {self.dataset}, n = {self.n} ({self.honest} honest + {self.byzantine} "
                f"Byzantine, f = {self.byzantine}), batch {self.batch_size}, eta0 = {self.lr0:g}, "
                f"r = {self.lr_decay:g}, {self.steps} steps, accuracy on {test}")


_ALL_ROWS = tuple(row.id for row in settings.ROWS)
_ALL_COLUMNS = tuple(column.id for column in settings.COLUMNS)

PRESETS = {
    "paper": Preset("paper", _FIGURE4.dataset, _FIGURE4_WORKERS.honest, _FIGURE4_WORKERS.byzantine,
                    _FIGURE4_WORKERS.batch_size, _FIGURE4.lr0, _FIGURE4.lr_decay, _FIGURE4.steps, eval_every=50,
                    eval_examples=None, checkpoint_every=100, rows=_ALL_ROWS, columns=_ALL_COLUMNS,
                    splits=(("iid", (1, 2, 3)), ("dirichlet:0.5", (1,)))),
    "quick": Preset("quick", _FIGURE4.dataset, 9, 2, _FIGURE4_WORKERS.batch_size, _FIGURE4.lr0, _FIGURE4.lr_decay,
                    steps=150, eval_every=50, eval_examples=2000, checkpoint_every=50, rows=_ALL_ROWS,
                    columns=_ALL_COLUMNS, splits=(("iid", (1,)),)),
    "micro": Preset("micro", _FIGURE4.dataset, 9, 2, 8, _FIGURE4.lr0, _FIGURE4.lr_decay, steps=4, eval_every=2,
                    eval_examples=64, checkpoint_every=2,
                    rows=("average", "krum", "bulyan-krum", "nnm+trimmed-mean", "krum+momentum"),  # 30 cells
                    columns=("none", "lp", "alie-auto"), splits=(("iid", (1,)), ("dirichlet:0.5", (1,)))),
}


def get(name):
    """The preset `name`; ValueError listing the presets."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown grid preset {name!r}; presets: {', '.join(PRESETS)}") from None
