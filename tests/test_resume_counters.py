"""A resumed run repeats the uninterrupted one bit for bit (under Bulyan and lp, under the randomised
gaussian attack), and its counters in config.json add up across sessions."""

import dataclasses

import numpy as np
import pytest

import training
from interrupting import interrupted_then_resumed
from training import datasets

datasets.register("synthetic", lambda *_: datasets.synthetic(train=256, test=100), model="mnist_mlp")


def test_nonfinite_steps_of_a_resumed_run_equal_the_uninterrupted_runs(tmp_path, monkeypatch):
    # Average under the nan attack in a window [2, 6): the steps 3 to 6 apply a NaN update (kept going).
    config = training.RunConfig(dataset="synthetic", gar="average", n=4, f=1, attack="nan", attack_start=2,
                                attack_stop=6, keep_diverged=True, batch_size=8, lr0=0.5, lr_decay=100,
                                steps=8, eval_every=4, checkpoint_every=2, seed=3, results_dir=str(tmp_path))
    whole = training.run(dataclasses.replace(config, run_name="whole"), progress=False)
    resumed = interrupted_then_resumed(monkeypatch, dataclasses.replace(config, run_name="resumed"), call=5)
    want, got = training.run_folder.read_config(whole), training.run_folder.read_config(resumed)
    assert want["nonfinite_steps"] == 6  # steps 3, 4, 5, 6 (NaN aggregate), then 7, 8 (NaN parameters)
    assert got["nonfinite_steps"] == want["nonfinite_steps"]
    assert got["diverged_at"] == want["diverged_at"] == 3
    a, b = training.read_metrics(whole), training.read_metrics(resumed)
    for column in a:
        if column != "wall_time":
            np.testing.assert_array_equal(a[column], b[column], err_msg=column)


@pytest.mark.parametrize("settings", [dict(gar="bulyan-krum", n=7, f=1, attack="lp"),
                                      dict(gar="krum", n=7, f=2, attack="gaussian")])
def test_an_attacked_run_interrupted_and_resumed_repeats_bit_for_bit(settings, tmp_path, monkeypatch):
    config = training.RunConfig(dataset="synthetic", **settings, batch_size=8, lr0=0.5, lr_decay=100, steps=6,
                                eval_every=3, checkpoint_every=2, seed=4, results_dir=str(tmp_path))
    whole = training.run(dataclasses.replace(config, run_name="whole"), progress=False)
    resumed = interrupted_then_resumed(monkeypatch, dataclasses.replace(config, run_name="resumed"), call=4)
    a, b = training.read_metrics(whole), training.read_metrics(resumed)
    assert "gamma" in a or "sigma" in a
    for column in a:
        if column != "wall_time":
            np.testing.assert_array_equal(a[column], b[column], err_msg=column)
