"""One traced step for the runs of the same shapes (`training.step_cache`): a run on the step kept from an
earlier run of another seed and learning rate gives, bit for bit, the metrics of the same run on a step
traced for it, also when it resumes from a checkpoint; runs of other shapes, of another heterogeneous
split's seed, or of a tf.distribute strategy trace anew."""

import csv
import dataclasses
import os

import pytest

import training
from interrupting import steps_raising_at
from training import datasets, loop, step_cache

# One dataset object for every run, as `training.datasets.load` gives for the standard files (a step is kept
# for the dataset object it captured)
_DATA = datasets.synthetic(train=256, test=100, name="synthetic_kept")
datasets.register("synthetic_kept", lambda *_: _DATA, model="mnist_mlp")

# Krum under lp with worker momentum (the attack's search, the momenta), and bucketing + median under a
# Gaussian attack (the rule's and the attack's per-step keys, both drawn from the seed)
SHAPES = {
    "krum-lp-momentum": dict(gar="krum", n=9, f=2, attack="lp", momentum=0.9, momentum_dampening=0.9),
    "bucketing-gaussian": dict(gar="bucketing+median", n=9, f=2, attack="gaussian"),
}


def _config(results, shape, **changes):
    settings = dict(dataset="synthetic_kept", batch_size=8, steps=4, eval_every=2, checkpoint_every=2,
                    results_dir=str(results), seed=1, lr0=0.5, lr_decay=20.0, **SHAPES[shape])
    settings.update(changes)
    return training.RunConfig(**settings)


def _rows(run_dir):
    """metrics.csv as text, without the wall_time column."""
    with open(os.path.join(run_dir, "metrics.csv")) as file:
        rows = list(csv.reader(file))
    drop = rows[0].index("wall_time")
    return [row[:drop] + row[drop + 1:] for row in rows]


@pytest.fixture
def builds(monkeypatch):
    """Counts the steps traced by `training.run` (loop.make_train_step wrapped; the kept step cleared)."""
    real, count = loop.make_train_step, []

    def counting(*args, **kwargs):
        count.append(1)
        return real(*args, **kwargs)

    step_cache.clear()
    monkeypatch.setattr(loop, "make_train_step", counting)
    yield count
    step_cache.clear()


def _fresh(config):
    """The run of `config` trained on a step traced for it."""
    step_cache.clear()
    return _rows(training.run(config, progress=False))


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_run_on_a_kept_step_gives_the_numbers_of_a_fresh_one(tmp_path, builds, shape):
    first = _config(tmp_path / "kept", shape)
    second = _config(tmp_path / "kept", shape, seed=2, lr0=0.25, lr_decay=50.0)
    training.run(first, progress=False)
    kept = _rows(training.run(second, progress=False))
    assert len(builds) == 1  # the second run reused the first one's step
    fresh = _fresh(dataclasses.replace(second, results_dir=str(tmp_path / "fresh")))
    assert len(builds) == 2
    assert kept == fresh and len(kept) == 6  # the header, steps 0 to 4
    assert kept != _rows(training.run(first, progress=False))  # another seed and rate: other numbers


def test_a_run_resumed_on_a_kept_step_repeats_its_uninterrupted_numbers(tmp_path, monkeypatch, builds):
    resumed = _config(tmp_path / "kept", "krum-lp-momentum", seed=3)
    with steps_raising_at(monkeypatch, 4), pytest.raises(KeyboardInterrupt):
        training.run(resumed, progress=False)  # checkpoint at step 2, rows to 3
    training.run(_config(tmp_path / "kept", "krum-lp-momentum"), progress=False)  # traces the kept step
    before = len(builds)
    rows = _rows(training.run(resumed, progress=False))  # resumes on it from step 2
    assert len(builds) == before
    assert rows == _fresh(dataclasses.replace(resumed, results_dir=str(tmp_path / "fresh")))


def test_other_shapes_and_other_heterogeneous_seeds_trace_anew(tmp_path, builds):
    training.run(_config(tmp_path, "krum-lp-momentum", batch_size=4), progress=False)
    split = dict(heterogeneity="dirichlet:0.5")
    training.run(_config(tmp_path, "krum-lp-momentum", seed=2, batch_size=4, **split), progress=False)
    assert len(builds) == 2  # another split: another step
    training.run(_config(tmp_path, "krum-lp-momentum", seed=3, batch_size=4, **split), progress=False)
    assert len(builds) == 3  # the split is the seed's: not shared
    kept = _rows(training.run(_config(tmp_path, "krum-lp-momentum", seed=3, batch_size=4, lr0=0.1, **split),
                              progress=False))
    assert len(builds) == 3  # the same seed's split, another rate: shared
    fresh = _fresh(_config(tmp_path / "fresh", "krum-lp-momentum", seed=3, batch_size=4, lr0=0.1, **split))
    assert kept == fresh


def test_only_plain_runs_are_kept():
    config = _config("results", "krum-lp-momentum")
    assert step_cache.key(config, object(), "mnist_mlp", "loop") is not None
    assert step_cache.key(dataclasses.replace(config, strategy="mirrored", replicas=1), object(), "mnist_mlp",
                          "loop") is None
    other = dataclasses.replace(config, seed=9, lr0=0.1, lr_decay=5.0, steps=60, eval_every=1, checkpoint_every=7,
                                results_dir="elsewhere", run_name="x", keep_diverged=True)
    dataset = object()
    assert step_cache.key(other, dataset, "mnist_mlp", "loop") == step_cache.key(config, dataset, "mnist_mlp", "loop")
    assert step_cache.key(dataclasses.replace(config, l2=0.0), dataset, "mnist_mlp", "loop") != \
        step_cache.key(config, dataset, "mnist_mlp", "loop")
