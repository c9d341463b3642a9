"""Heterogeneous data (`--heterogeneity`): Dirichlet and k-class shares, their sampling, config.json's
class histograms, and every bad setting's one-line message."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

import training
from training import datasets, heterogeneity, sampling
from training.errors import RunError

datasets.register("synthetic", lambda *_: datasets.synthetic(train=256, test=100), model="mnist_mlp")
LABELS = np.repeat(np.arange(10), 500).astype(np.int32)  # 5,000 examples, 500 per class
np.random.default_rng(0).shuffle(LABELS)


def _shares(spec, workers=6, seed=1, labels=LABELS):
    return heterogeneity.partition(spec, labels, workers, seed, 10)


def test_iid_has_no_shares():
    assert _shares("iid") is None


@pytest.mark.parametrize("spec", ["dirichlet:0.5", "classes:3"])
def test_shares_are_a_function_of_the_seed_and_disjoint(spec):
    a, b, other = _shares(spec), _shares(spec), _shares(spec, seed=2)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.lengths, b.lengths)
    assert not np.array_equal(a.indices, other.indices)
    assert len(np.unique(a.indices)) == len(a.indices)  # every example belongs to at most one worker
    for worker in range(a.workers):
        np.testing.assert_array_equal(a.histograms[worker], np.bincount(LABELS[a.of(worker)], minlength=10))


def test_dirichlet_gives_away_every_example():
    shares = _shares("dirichlet:0.5")
    np.testing.assert_array_equal(np.sort(shares.indices), np.arange(len(LABELS)))


def test_dirichlet_large_alpha_is_nearly_uniform_and_small_alpha_concentrated():
    uniform = _shares("dirichlet:10000").histograms
    fractions = uniform / uniform.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(fractions, 0.1, atol=0.02)
    np.testing.assert_allclose(uniform.sum(axis=1), len(LABELS) / 6, rtol=0.05)
    concentrated = _shares("dirichlet:0.05", workers=4).histograms
    top = concentrated.max(axis=1) / concentrated.sum(axis=1)
    assert top.mean() > 0.5 and (concentrated == 0).mean() > 0.3


def test_classes_k_gives_each_worker_exactly_k_classes_dealt_round_robin():
    shares = _shares("classes:3", workers=7)
    held = [set(np.flatnonzero(row)) for row in shares.histograms]
    assert all(len(classes) == 3 for classes in held)
    dealt = heterogeneity.dealt_classes(3, 7, 10, np.random.default_rng([1, 2]))
    assert [set(row) for row in dealt] == held
    order = np.concatenate(dealt)  # round-robin over one permutation
    assert sorted(order[:10]) == list(range(10)) and list(order[10:20]) == list(order[:10])
    # a class held by m workers is split into m parts of sizes within one of each other
    holders = (shares.histograms > 0).sum(axis=0)
    for c in range(10):
        counts = shares.histograms[:, c][shares.histograms[:, c] > 0]
        assert len(counts) == holders[c] and counts.max() - counts.min() <= 1 and counts.sum() == 500


def test_an_empty_share_is_one_line():
    few = np.arange(10, dtype=np.int32)  # one example per class
    with pytest.raises(RunError, match=r"^heterogeneity dirichlet:0.01 leaves worker \d+ no example; raise ALPHA$"):
        _shares("dirichlet:0.01", workers=8, labels=few)
    with pytest.raises(RunError, match=r"^heterogeneity classes:1 leaves worker \d+ no example of class \d "
                                      r"\(its 1 shared by 2 workers\); use fewer workers or larger K$"):
        _shares("classes:1", workers=20, labels=few)


def test_each_worker_samples_its_share_and_the_byzantine_the_whole_set():
    shares = _shares("dirichlet:0.3", workers=4)
    drawn = sampling.sample_share_indices(7, tf.constant(3, tf.int64), 6, 400, len(LABELS), shares).numpy()
    for worker in range(4):
        assert set(drawn[worker]) <= set(shares.of(worker))
        assert len(set(drawn[worker])) > min(50, shares.lengths[worker] // 2)  # uniform over the share
    assert drawn[4:].max() >= len(LABELS) // 2 and not set(drawn[4]) <= set(shares.of(0))
    # the same (seed, step, worker) draws, whatever the first worker of the call (a replica's share)
    again = sampling.sample_share_indices(7, 3, 3, 400, len(LABELS), shares, first=tf.constant(2))
    np.testing.assert_array_equal(again.numpy(), drawn[2:5])
    # the Byzantine workers draw what they would with iid data
    np.testing.assert_array_equal(drawn[4:], sampling.sample_indices(7, 3, 2, 400, len(LABELS), first=4).numpy())


def test_config_json_records_each_honest_workers_class_histogram(tmp_path):
    config = training.RunConfig(dataset="synthetic", n=5, f=1, attack="signflip", gar="median",
                                heterogeneity="classes:2", batch_size=4, steps=1, eval_every=1,
                                results_dir=str(tmp_path))
    run_dir = training.run(config, progress=False)
    with open(os.path.join(run_dir, "config.json")) as file:
        saved = json.load(file)
    histograms = np.array(saved["class_histograms"])
    assert saved["heterogeneity"] == "classes:2" and histograms.shape == (4, 10)  # the n - f honest workers
    assert ((histograms > 0).sum(axis=1) == 2).all()
    labels = datasets.synthetic(train=256, test=100).train_labels
    np.testing.assert_array_equal(histograms, heterogeneity.partition("classes:2", labels, 4, 1, 10).histograms)


@pytest.mark.parametrize("spec, message", [
    ("dirichlet:0", "heterogeneity dirichlet:ALPHA needs a finite ALPHA > 0, got 'dirichlet:0'"),
    ("dirichlet:-1", "heterogeneity dirichlet:ALPHA needs a finite ALPHA > 0, got 'dirichlet:-1'"),
    ("dirichlet:abc", "heterogeneity dirichlet:ALPHA needs a finite ALPHA > 0, got 'dirichlet:abc'"),
    ("dirichlet:inf", "heterogeneity dirichlet:ALPHA needs a finite ALPHA > 0, got 'dirichlet:inf'"),
    ("classes:0", "heterogeneity classes:K needs an integer K >= 1, got 'classes:0'"),
    ("classes:1.5", "heterogeneity classes:K needs an integer K >= 1, got 'classes:1.5'"),
    ("classes:11", "heterogeneity classes:11 asks for 11 classes per worker, but the dataset has 10"),
    ("foo", "heterogeneity must be iid, dirichlet:ALPHA or classes:K, got 'foo'"),
    ("dirichlet", "heterogeneity must be iid, dirichlet:ALPHA or classes:K, got 'dirichlet'"),
])
def test_bad_settings_are_refused_by_validate_in_one_line(spec, message):
    with pytest.raises(RunError) as error:
        training.validate(training.RunConfig(heterogeneity=spec))  # MNIST: 10 classes, no data read
    assert str(error.value) == message
