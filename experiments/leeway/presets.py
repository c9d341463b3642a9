"""The presets of the leeway study (`python -m experiments.leeway --preset=...`), without TensorFlow.

tiny: a few seconds, for the tests (no MNIST). quick: <= 30 s on 2 CPU cores. full: <= 5 min.
"""

import dataclasses
import math

import numpy as np


@dataclasses.dataclass(frozen=True)
class Preset:
    name: str
    d_values: tuple  # the d sweep (synthetic)
    f_at_d: int  # f of the d sweeps
    f_values: tuple  # the f sweep
    d_at_f: int  # synthetic d of the f sweep
    draws: int  # draws per synthetic point
    sources: tuple  # synthetic sources of the d sweep ("iid", "hetero")
    mnist_steps: int  # averaged-SGD steps before the "trained" pool (0: no MNIST)
    mnist_workers: int  # per-worker gradients in each MNIST pool
    mnist_d_values: tuple  # coordinate-subset sizes of the MNIST d sweep
    mnist_draws: int
    mnist_f_values: tuple  # the MNIST f sweep (all 79,510 coordinates); () for none
    bulyan_f: int
    bulyan_d_values: tuple
    bulyan_draws: int
    bulyan_grid: int  # gamma values per Bulyan curve
    range_d: int  # many draws of Bulyan's largest displacement over a grid, at this d
    range_draws: int
    budget: int = 16  # the attack's default

    def describe(self):
        mnist = (f"MNIST MLP at init and after {self.mnist_steps} steps, d in {list(self.mnist_d_values)}"
                 f" x {self.mnist_draws} draws" if self.mnist_steps else "no MNIST")
        return (f"preset {self.name}: synthetic d in {_short(self.d_values)} at f = {self.f_at_d}, "
                f"f in {list(self.f_values)} at d = {self.d_at_f:g}, {self.draws} draws per point, "
                f"sources {', '.join(self.sources)}; {mnist}; Bulyan(Krum) f = {self.bulyan_f} "
                f"(n = {4 * self.bulyan_f + 3}), d in {_short(self.bulyan_d_values)} x {self.bulyan_draws} draws, "
                f"{self.bulyan_grid} gamma values, and {self.range_draws} draws at d = {self.range_d:g}; "
                f"search budget {self.budget}")


def _short(values):
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


def _decades(low, high, per_decade):
    exponents = np.arange(round(math.log10(low) * per_decade), round(math.log10(high) * per_decade) + 1)
    return tuple(int(round(10 ** (e / per_decade))) for e in exponents)


PRESETS = {
    "tiny": Preset("tiny", d_values=(10, 100, 1000), f_at_d=2, f_values=(2, 3), d_at_f=100, draws=2,
                   sources=("iid",), mnist_steps=0, mnist_workers=0, mnist_d_values=(), mnist_draws=0,
                   mnist_f_values=(), bulyan_f=2, bulyan_d_values=(10, 100), bulyan_draws=2, bulyan_grid=12,
                   range_d=30, range_draws=3),
    "quick": Preset("quick", d_values=_decades(10, 1e5, 1), f_at_d=5, f_values=(1, 2, 5, 10, 16), d_at_f=10_000,
                    draws=3, sources=("iid",), mnist_steps=100, mnist_workers=16,
                    mnist_d_values=(10, 100, 1000, 10_000, 79_510), mnist_draws=1, mnist_f_values=(),
                    bulyan_f=5, bulyan_d_values=(100, 10_000), bulyan_draws=1, bulyan_grid=40,
                    range_d=1000, range_draws=12),
    "full": Preset("full", d_values=_decades(10, 1e6, 2), f_at_d=5, f_values=(1, 2, 3, 4, 5, 6, 8, 11, 16),
                   d_at_f=100_000, draws=5, sources=("iid", "hetero"), mnist_steps=100, mnist_workers=40,
                   mnist_d_values=_decades(10, 1e4, 2) + (79_510,), mnist_draws=3,
                   mnist_f_values=(1, 2, 4, 8, 16), bulyan_f=5,
                   bulyan_d_values=(100, 1000, 10_000, 100_000, 1_000_000), bulyan_draws=3, bulyan_grid=120,
                   range_d=1000, range_draws=40),
}


def get(name):
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown leeway preset {name!r}; presets: {', '.join(PRESETS)}") from None
