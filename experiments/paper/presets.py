"""Presets: how a figure's paper settings (`experiments.paper.settings`, section 5.2) are turned into runs.

- `paper`: the paper's settings, our choices where it is silent (`experiments/paper/choices.py`, the
  "Settings and choices" section of docs/reproduction/README.md).
- `quick`: MNIST figures in a few minutes on 2 CPU cores (the paper's workers and batch sizes, 30% of
  the steps); CIFAR-10 figures in at most 15 minutes (30% of the steps, a third of the workers, each rule
  keeping its minimum n, the paper's batch sizes; Average over 7 workers of 128 images reaches 43% test
  accuracy at step 100 of Figure 3's schedule). Figure 8 (eta0 = 0.5) runs half of its steps: its Average
  learns slower, and ends at 30% after 300 steps but 49% after 500. What changed is written on the plot
  and in the claims table.
- `micro`: a few steps with tiny n, for the test suite only: it checks the plumbing, not the science.
"""

import dataclasses

import aggregators


@dataclasses.dataclass(frozen=True)
class Preset:
    name: str
    steps: float  # a fraction of the paper's steps (<= 1), or an absolute count (> 1)
    eval_every: int
    eval_examples: int = None  # None: the whole test set
    worker_scale: float = 1.0
    max_byzantine: int = None
    batch_scale: float = 1.0
    batch_sizes: int = None  # Figure 6: keep this many of the panel's batch sizes (evenly spread)

    def describe(self, panel):
        """One line for the plot and the claims table."""
        if self.name == "paper":
            return "preset: paper (the paper's settings, our choices where it is silent)"
        parts = [f"{self.steps_for(panel)} of {panel.steps} steps"]
        if self.worker_scale != 1 or self.max_byzantine is not None:
            parts.append(f"workers x{self.worker_scale:.2g}" if self.max_byzantine is None
                         else f"at most {self.max_byzantine} Byzantine")
        if self.batch_scale != 1:
            parts.append(f"batch x{self.batch_scale:g}")
        if self.eval_examples:
            parts.append(f"accuracy on {self.eval_examples} test images")
        return f"preset: {self.name} (" + ", ".join(parts) + ")"

    def steps_for(self, panel):
        """The panel's steps under this preset (the panel may give this preset another share)."""
        share = dict(panel.preset_steps).get(self.name, self.steps)
        return max(1, round(panel.steps * share)) if share <= 1 else min(int(share), panel.steps)

    def run_fields(self, panel):
        """The `training.RunConfig` fields this preset sets for a run of `panel`."""
        return {"steps": self.steps_for(panel), "eval_every": self.eval_every, "eval_examples": self.eval_examples}

    def curve(self, curve):
        """The curve with its workers and batch size scaled; each rule keeps its minimum n."""
        byzantine = curve.byzantine
        if self.max_byzantine is not None:
            byzantine = min(byzantine, self.max_byzantine)
        elif byzantine and self.worker_scale != 1:
            byzantine = max(1, round(byzantine * self.worker_scale))
        honest = max(1, round(curve.honest * self.worker_scale))
        minimum = aggregators.get(curve.gar).min_workers(byzantine)
        honest = max(honest, minimum - byzantine)
        batch = curve.batch_size
        if batch is not None and self.batch_scale != 1:
            batch = max(1, round(batch * self.batch_scale))
        return dataclasses.replace(curve, honest=honest, byzantine=byzantine, batch_size=batch)

    def batch_sweep(self, panel):
        """Figure 6's batch sizes under this preset."""
        sizes = [max(1, round(b * self.batch_scale)) for b in panel.batch_sizes]
        if self.batch_sizes and self.batch_sizes < len(sizes):
            picks = [round(i * (len(sizes) - 1) / (self.batch_sizes - 1)) for i in range(self.batch_sizes)] \
                if self.batch_sizes > 1 else [len(sizes) - 1]
            sizes = [sizes[i] for i in picks]
        return tuple(sorted(set(sizes)))


PRESETS = {
    "paper": {
        "mnist": Preset("paper", steps=1.0, eval_every=10),
        "cifar10": Preset("paper", steps=1.0, eval_every=20),
    },
    "quick": {
        "mnist": Preset("quick", steps=0.3, eval_every=10, eval_examples=2000),
        "cifar10": Preset("quick", steps=0.3, eval_every=20, eval_examples=1000, worker_scale=1 / 3,
                          batch_sizes=3),
    },
    "micro": {
        "mnist": Preset("micro", steps=3, eval_every=1, eval_examples=64, worker_scale=0.0,
                        max_byzantine=1, batch_scale=0.05, batch_sizes=2),
        "cifar10": Preset("micro", steps=2, eval_every=1, eval_examples=32, worker_scale=0.0,
                          max_byzantine=1, batch_scale=0.02, batch_sizes=2),
    },
}


def get(name, dataset):
    """The preset `name` for `dataset`."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; presets: {', '.join(PRESETS)}")
    return PRESETS[name][dataset]
