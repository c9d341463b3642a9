"""Whole runs on a small synthetic dataset: files, resume, determinism, the attack window, NaN attacks."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

import attacks
import training
from training import checkpoints, datasets, dry_run, loop, run_folder

datasets.register("synthetic", lambda *_: datasets.synthetic(train=256, test=100), model="mnist_mlp")


def _constant_attack(honest, context, value):
    context.log("value", tf.constant(value) + tf.cast(context.step, tf.float32))
    return tf.fill([context.f, honest.shape[1]], tf.constant(value, honest.dtype))


attacks.register(attacks.Attack("test_constant", source="tests only", attack_fn=_constant_attack,
                                options={"value": 1.0}, description="every Byzantine gradient is `value`"))


def _config(tmp_path, **changes):
    settings = dict(dataset="synthetic", gar="average", n=3, f=0, batch_size=8, lr0=0.5, lr_decay=100,
                    steps=6, eval_every=3, checkpoint_every=2, results_dir=str(tmp_path), seed=3)
    settings.update(changes)
    return training.RunConfig(**settings)


def _same_metrics(a, b):
    assert list(a) == list(b)
    for column in a:
        if column != "wall_time":
            np.testing.assert_array_equal(a[column], b[column], err_msg=column)


def test_run_writes_the_documented_files_and_learns(tmp_path):
    run_dir = training.run(_config(tmp_path, steps=12, eval_every=4, lr0=0.2, run_name="learns"), progress=False)
    assert run_dir == os.path.join(str(tmp_path), "learns")
    for name in ("config.json", "metrics.csv", "checkpoints", "tensorboard"):
        assert os.path.exists(os.path.join(run_dir, name))
    with open(os.path.join(run_dir, "metrics.csv")) as file:
        assert file.readline().strip() == "step,wall_time,lr,train_loss,accuracy,test_loss"
    metrics = training.read_metrics(run_dir)
    np.testing.assert_array_equal(metrics["step"], np.arange(13))
    evaluated = np.flatnonzero(~np.isnan(metrics["accuracy"]))
    np.testing.assert_array_equal(evaluated, [0, 4, 8, 12])
    assert np.isnan(metrics["train_loss"][0]) and not np.isnan(metrics["train_loss"][1:]).any()
    np.testing.assert_allclose(metrics["lr"][1:], 0.2 * 100 / (np.arange(12) + 100), rtol=1e-6)
    assert metrics["accuracy"][-1] > 0.5 > metrics["accuracy"][0]  # the stripes are learnable
    with open(os.path.join(run_dir, "config.json")) as file:
        saved = json.load(file)
    assert saved["finished"] and saved["d"] == 79510 and saved["n"] == 3
    assert training.run(_config(tmp_path, steps=12, eval_every=4, lr0=0.2, run_name="learns")) == run_dir


def test_same_seed_repeats_exactly_and_another_seed_differs(tmp_path):
    a = training.read_metrics(training.run(_config(tmp_path, run_name="a"), progress=False))
    b = training.read_metrics(training.run(_config(tmp_path, run_name="b"), progress=False))
    c = training.read_metrics(training.run(_config(tmp_path, run_name="c", seed=4), progress=False))
    _same_metrics(a, b)
    assert not np.array_equal(a["train_loss"][1:], c["train_loss"][1:])


def test_interrupted_run_resumes_to_the_uninterrupted_metrics(tmp_path, monkeypatch):
    whole = training.read_metrics(training.run(_config(tmp_path, run_name="whole"), progress=False))
    real = loop.make_train_step

    def crashing(*args, **kwargs):  # the 5th step raises, as a kill would stop it
        train_step, names = real(*args, **kwargs)
        calls = []

        def step():
            calls.append(1)
            if len(calls) == 5:
                raise KeyboardInterrupt("simulated interrupt")
            return train_step()

        return step, names

    monkeypatch.setattr(loop, "make_train_step", crashing)
    with pytest.raises(KeyboardInterrupt):
        training.run(_config(tmp_path, run_name="resumed"), progress=False)
    monkeypatch.setattr(loop, "make_train_step", real)
    run_dir = os.path.join(str(tmp_path), "resumed")
    with open(os.path.join(run_dir, "config.json")) as file:
        assert not json.load(file)["finished"]
    assert training.read_metrics(run_dir)["step"][-1] >= 4  # rows past the checkpoint at step 4 exist
    _same_metrics(training.read_metrics(training.run(_config(tmp_path, run_name="resumed"), progress=False)),
                  whole)


def test_a_longer_run_under_the_same_name_continues(tmp_path):
    whole = training.read_metrics(training.run(_config(tmp_path, run_name="long", steps=6), progress=False))
    training.run(_config(tmp_path, run_name="grow", steps=3), progress=False)
    _same_metrics(training.read_metrics(training.run(_config(tmp_path, run_name="grow", steps=6),
                                                     progress=False)), whole)
    with pytest.raises(ValueError, match="holds a run with lr0=0.5, not 0.1"):
        training.run(_config(tmp_path, run_name="grow", steps=6, lr0=0.1), progress=False)


def test_attack_window_replaces_the_last_f_only_while_active(tmp_path):
    # A window that never opens: the Byzantine workers behave honestly throughout.
    honest = training.read_metrics(training.run(_config(tmp_path, n=4, f=1, attack="test_constant",
                                                        attack_start=100, attack_stop=101, run_name="honest"),
                                                progress=False))
    assert np.isnan(honest["value"]).all()
    attacked = training.run(_config(tmp_path, n=4, f=1, attack="test_constant", attack_options={"value": 2.0},
                                    attack_start=2, attack_stop=3, run_name="window"), progress=False)
    with open(os.path.join(attacked, "metrics.csv")) as file:
        assert file.readline().strip().endswith("test_loss,value")
    attacked = training.read_metrics(attacked)
    # Only the 3rd update (2 steps done) is attacked; `value` logs 2 + step there, NaN elsewhere.
    np.testing.assert_array_equal(attacked["value"][1:], [np.nan, np.nan, 4.0, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(attacked["train_loss"][:4], honest["train_loss"][:4])
    assert not np.array_equal(attacked["train_loss"][4:], honest["train_loss"][4:])


def test_whole_run_attack_computes_only_the_honest_gradients(tmp_path):
    from training.step import honest_workers
    assert honest_workers(_config(tmp_path, n=4, f=1, attack="test_constant")) == 3
    assert honest_workers(_config(tmp_path, n=4, f=1, attack="test_constant", attack_stop=3)) == 4
    assert honest_workers(_config(tmp_path, n=4, f=1)) == 4  # "none": all n honest (Figure 6)
    metrics = training.read_metrics(training.run(_config(tmp_path, n=4, f=1, attack="test_constant",
                                                         steps=2, run_name="whole-attack"), progress=False))
    np.testing.assert_array_equal(metrics["value"], [np.nan, 1.0, 2.0])


def test_a_diverged_run_stops_at_its_first_nonfinite_step_and_is_finished(tmp_path, capsys, monkeypatch):
    config = _config(tmp_path, n=3, f=1, attack="nan", steps=6, run_name="nan")
    run_dir = training.run(config, progress=False)
    metrics = training.read_metrics(run_dir)
    np.testing.assert_array_equal(metrics["step"], [0, 1])  # Average lets the NaN through at step 1
    assert not np.isnan(metrics["accuracy"][1]) and not np.isfinite(metrics["test_loss"][1])  # evaluated
    assert run_folder.diverged_at(metrics) == 1
    saved = run_folder.read_config(run_dir)
    assert saved["finished"] and saved["diverged_at"] == 1 and saved["nonfinite_steps"] == 1
    assert checkpoints.steps(os.path.join(run_dir, "checkpoints")) == [1]
    assert capsys.readouterr().out.splitlines() == [
        "[nan] diverged at step 1 (aggregated gradient not finite): stopped; --keep_diverged to train on"]
    assert run_folder.state(run_dir, 6) == run_folder.RunState("finished", 1)
    assert run_folder.state(run_dir, 12).finished  # finished whatever steps are asked

    monkeypatch.setattr(loop, "make_train_step", lambda *args, **kwargs: pytest.fail("a rerun trained"))
    for rerun in (config, _config(tmp_path, n=3, f=1, attack="nan", steps=12, run_name="nan"),
                  _config(tmp_path, n=3, f=1, attack="nan", steps=6, run_name="nan", keep_diverged=True)):
        assert training.run(rerun, progress=False) == run_dir
    np.testing.assert_array_equal(training.read_metrics(run_dir)["step"], [0, 1])


def test_keep_diverged_trains_on_nan_to_the_last_step(tmp_path):
    run_dir = training.run(_config(tmp_path, n=3, f=1, attack="nan", steps=3, run_name="nan", keep_diverged=True),
                           progress=False)
    saved = run_folder.read_config(run_dir)
    assert saved["finished"] and saved["nonfinite_steps"] == 3 and saved["diverged_at"] == 1
    metrics = training.read_metrics(run_dir)
    assert metrics["step"][-1] == 3
    # A NaN model predicts, for every image, the class tf.argmax gives all-NaN logits: its
    # accuracy is the share of test labels equal to that class.
    nan_class = int(tf.argmax(tf.fill([10], float("nan"))))
    labels = datasets.synthetic(train=256, test=100).test_labels
    assert metrics["accuracy"][-1] == pytest.approx(np.mean(labels == nan_class), abs=1e-6)
    assert np.isnan(metrics["train_loss"][2:]).all()


@pytest.mark.parametrize("out, reason", [
    (dict(train_loss=np.float32(np.inf), finite=True, params_finite=True), "training loss not finite"),
    (dict(train_loss=np.float32(1), finite=False, params_finite=False), "aggregated gradient not finite"),
    (dict(train_loss=np.float32(1), finite=True, params_finite=False), "parameters not finite"),
    (dict(train_loss=np.float32(1), finite=True, params_finite=True), None),
])
def test_a_step_diverges_on_a_nonfinite_loss_gradient_or_parameters(out, reason):
    assert loop._divergence(out) == reason


def test_validate_and_run_dry_run_the_attack_once(tmp_path):
    dry_runs = []

    def counted(honest, context, value):
        if dry_run.active():  # a scratch graph (the dry run), not the traced training step
            dry_runs.append(value)
        context.log("value", tf.constant(value))
        return tf.fill([context.f, honest.shape[1]], tf.constant(value, honest.dtype))

    attacks.register(attacks.Attack("test_counted", source="tests only", attack_fn=counted, options={"value": 1.0}))
    config = _config(tmp_path, n=4, f=1, attack="test_counted", steps=1, run_name="counted")
    training.validate(config)
    training.run(config, progress=False, validated=True)
    assert dry_runs == [1.0]
    training.run(_config(tmp_path, n=4, f=1, attack="test_counted", attack_options={"value": 2.0}, steps=1,
                         run_name="counted-2"), progress=False)  # validates itself
    assert dry_runs == [1.0, 2.0]


def test_validate_dry_runs_the_rule_once_per_rule_settings(tmp_path):
    from aggregators import registry, validation
    from aggregators.rule import Rule

    dry_runs = []

    def counted_mean(gradients, f, scale=1.0):
        if dry_run.active():
            dry_runs.append((gradients.shape[0], scale))
        return scale * tf.reduce_mean(gradients, axis=0)

    registry.register(Rule(name="test-counted-mean", source="tests only", workers=(1, 0),
                           aggregate_fn=counted_mean, options={"scale": validation.positive_float}))
    config = _config(tmp_path, gar="test-counted-mean", n=4, f=1)
    for seed in (1, 2, 3):  # seeds (and data splits) of one grid cell: one dry run
        training.validate(_config(tmp_path, gar="test-counted-mean", n=4, f=1, seed=seed))
    assert dry_runs == [(4, 1.0)]
    training.validate(_config(tmp_path, gar="test-counted-mean", n=5, f=1))
    training.validate(_config(tmp_path, gar="test-counted-mean", n=4, f=1, gar_options={"scale": 2.0}))
    assert dry_runs == [(4, 1.0), (5, 1.0), (4, 2.0)]
    for _ in range(2):  # bad options are not kept: they fail every time
        with pytest.raises(ValueError, match="test-counted-mean needs scale as a finite number > 0, got scale=-1.0"):
            training.validate(_config(tmp_path, gar="test-counted-mean", n=4, f=1, gar_options={"scale": -1.0}))
    training.validate(config)
    assert len(dry_runs) == 3


def test_validate_names_the_value_and_the_rule():
    with pytest.raises(ValueError, match="f must be <= n, got n=3, f=4"):
        training.validate(training.RunConfig(dataset="synthetic", n=3, f=4))
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'"):
        training.validate(training.RunConfig(dataset="imagenet"))
    with pytest.raises(ValueError, match="unknown attack 'zzz'"):
        training.validate(training.RunConfig(attack="zzz"))
    with pytest.raises(ValueError, match="attack_stop must be >= attack_start"):
        training.validate(training.RunConfig(attack_start=5, attack_stop=2))


def test_derived_run_name_is_deterministic_and_setting_dependent(tmp_path):
    a, b = _config(tmp_path), _config(tmp_path, results_dir="elsewhere", checkpoint_every=7)
    assert training.derived_run_name(a) == training.derived_run_name(b)
    assert training.derived_run_name(a).startswith("synthetic-average-n3-f0-none-")
    assert training.derived_run_name(a) != training.derived_run_name(_config(tmp_path, seed=9))


def test_a_corrupt_latest_checkpoint_resumes_from_the_previous_one(tmp_path, monkeypatch):
    whole = training.read_metrics(training.run(_config(tmp_path, run_name="whole"), progress=False))
    run_dir = training.run(_config(tmp_path, run_name="corrupt", steps=4), progress=False)  # ckpt-2, ckpt-4
    with open(os.path.join(run_dir, "checkpoints", "ckpt-4.data-00000-of-00001"), "r+b") as file:
        file.write(np.random.default_rng(0).bytes(64))
    warned = []
    monkeypatch.setattr(checkpoints.logging, "warning", lambda message, *args: warned.append(message % args))
    _same_metrics(training.read_metrics(training.run(_config(tmp_path, run_name="corrupt"), progress=False)), whole)
    assert warned[0].startswith(f"checkpoint {os.path.join(run_dir, 'checkpoints', 'ckpt-4')} is unreadable")


def test_a_run_that_cannot_load_raises_run_error_and_leaves_no_folder(tmp_path):
    with pytest.raises(training.RunError, match="eval_examples=101 is more than the 100 test images of synthetic"):
        training.run(_config(tmp_path, eval_examples=101), progress=False)
    bad = tmp_path / "data"
    bad.mkdir()
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz"):
        (bad / name).write_bytes(b"not gzip")
    results = tmp_path / "results"
    with pytest.raises(training.RunError, match="cannot read .*train-images-idx3-ubyte.gz: BadGzipFile"):
        training.run(training.RunConfig(dataset="mnist", n=3, steps=1, data_dir=str(bad), results_dir=str(results)))
    assert os.listdir(tmp_path) == ["data"] and not os.path.exists(results)


def test_attack_options_are_checked_against_the_model_d():
    lp = dict(dataset="mnist", gar="krum", n=5, f=1, attack="lp")
    training.validate(training.RunConfig(**lp, attack_options={"coordinate": 100}))
    training.validate(training.RunConfig(**lp, attack_options={"coordinate": -79510}))
    with pytest.raises(ValueError, match=r"got coordinate=79510 \(the model has d=79,510 parameters\)"):
        training.validate(training.RunConfig(**lp, attack_options={"coordinate": 79510}))
    training.validate(training.RunConfig(**{**lp, "dataset": "synthetic"}, attack_options={"coordinate": 100}))


@pytest.mark.parametrize("changes, message", [
    ({"lr0": float("inf")}, "lr0 must be a finite number, got inf"),
    ({"lr0": float("nan")}, "lr0 must be a finite number, got nan"),
    ({"lr_decay": float("inf")}, "lr_decay must be a finite number, got inf"),
    ({"l2": float("nan")}, "l2 must be a finite number, got nan"),
    ({"lr0": "1"}, "lr0 must be a finite number, got '1'"),
    ({"seed": -1}, r"seed must be in \[0, 2\*\*32\), got -1"),
    ({"seed": 2 ** 32}, r"seed must be in \[0, 2\*\*32\), got 4294967296"),
    ({"eval_examples": 2.5}, "eval_examples must be an integer, got 2.5"),
    ({"attack": "signflip"}, "attack signflip needs Byzantine workers, got f=0; use attack=none"),
    ({"data_source": "raw"}, "data_source=raw reads the standard files of a data_dir; none was given"),
])
def test_validate_refuses_absurd_values(tmp_path, changes, message):
    with pytest.raises(training.RunError, match=message):
        training.validate(_config(tmp_path, **changes))


def test_validate_refuses_a_results_dir_that_is_a_file_and_keeps_figure_settings(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(training.RunError, match=f"{tmp_path / 'file'} is a file, not a folder"):
        training.validate(_config(tmp_path / "file" / "deeper"))
    training.validate(_config(tmp_path, n=5, f=1))  # attack "none" with f declared (Figure 6)
    training.validate(_config(tmp_path, n=5, f=0))  # Average over the honest workers only
