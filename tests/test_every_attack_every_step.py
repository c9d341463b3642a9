"""Every attack against every pre-aggregation step, 20 steps on real MNIST at a small n: the chain
clip+arc+bucketing+nnm+trimmed-mean holds every step, each run trains to its end (or stops as diverged
only where nothing robust stands between the attack and the model, which is never here) and its accuracy
is a real evaluation of the test images."""

import math
import os

import numpy as np
import pytest

import attacks
import training

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.path.dirname(REPO), "shared", "data")
CHAIN = "clip+arc+bucketing+nnm+trimmed-mean"
ATTACKS = [name for name in attacks.names() if not attacks.get(name).honest]
OPTIONS = {"alie": {"z": "auto"}, "ipm": {"epsilon": "auto"}}


@pytest.mark.skipif(not os.path.isdir(os.path.join(DATA, "mnist")), reason="../shared/data absent")
@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_runs_20_steps_against_every_step(attack, tmp_path):
    config = training.RunConfig(dataset="mnist", gar=CHAIN, n=11, f=2, batch_size=8, lr0=0.5, lr_decay=100.0,
                                steps=20, eval_every=10, eval_examples=200, attack=attack,
                                attack_options=OPTIONS.get(attack, {}), seed=2, data_dir=DATA,
                                data_source="raw", results_dir=str(tmp_path))
    run_dir = training.run(config, progress=False)
    saved = training.run_folder.read_config(run_dir)
    metrics = training.read_metrics(run_dir)
    assert saved["finished"] and saved["diverged_at"] is None, saved.get("diverged_at")
    np.testing.assert_array_equal(metrics["step"], np.arange(21))
    accuracy = metrics["accuracy"][~np.isnan(metrics["accuracy"])]
    assert len(accuracy) == 3 and all(math.isfinite(a) for a in accuracy)
    assert all(np.isclose(a * 200, round(a * 200)) for a in accuracy)  # a count of the 200 images
    assert np.isfinite(metrics["train_loss"][1:]).all()
