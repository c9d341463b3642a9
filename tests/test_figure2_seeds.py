"""Figure 2 over seeds: the state features on hand-computed tiny MLPs, the rank statistics, the checkpoint
reader, and the claim the study rests on: a run cut after its attack window has the long run's state."""

import dataclasses
import os

import numpy as np
import pytest

import training
from experiments.paper import claims, figure2_seeds, mlp_state, rank_stats
from training import command_line, datasets, flat, run_folder

datasets.register("synthetic", lambda *_: datasets.synthetic(train=256, test=100))

SIZES = (2, 3, 2)  # 2 inputs, 3 hidden ReLU units, 2 classes: d = 6 + 3 + 6 + 2 = 17


def tiny_params():
    """Hidden unit 0 = relu(x0), unit 1 = relu(x1 - 1), unit 2 = relu(-x0 - x1 - 1) (dead on x >= 0);
    logit 0 = h0 + 0.5, logit 1 = 2 h1 - 3."""
    kernel1 = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, -1.0]])
    bias1 = np.array([0.0, -1.0, -1.0])
    kernel2 = np.array([[1.0, 0.0], [0.0, 2.0], [5.0, 5.0]])
    bias2 = np.array([0.5, -3.0])
    return np.concatenate([kernel1.ravel(), bias1, kernel2.ravel(), bias2])


IMAGES = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 3.0], [1.0, 1.5]])  # all >= 0


def test_layers_logits_and_dead_units_on_a_hand_computed_mlp():
    params = tiny_params()
    (k1, b1), (k2, b2) = mlp_state.layers(params, SIZES)
    assert k1.shape == (2, 3) and k2.shape == (3, 2) and b2.tolist() == [0.5, -3.0]
    # hidden: [0,0,0], [2,0,0], [0,2,0], [1,0.5,0]; logits: h0 + 0.5, 2 h1 - 3
    expected = np.array([[0.5, -3.0], [2.5, -3.0], [0.5, 1.0], [1.5, -2.0]])
    np.testing.assert_allclose(mlp_state.logits(params, IMAGES, SIZES), expected)
    assert mlp_state.dead_units(params, IMAGES, SIZES) == 1  # unit 2
    assert mlp_state.dead_units(params, IMAGES[:2], SIZES) == 2  # unit 1 is active only on rows 2 and 3
    assert mlp_state.live_units(params, IMAGES, 0.5, SIZES) == 2  # unit 0 (2/4), unit 1 (2/4)
    assert mlp_state.live_units(params, IMAGES, 0.6, SIZES) == 0
    with pytest.raises(ValueError, match="d=17 parameters, got shape"):
        mlp_state.layers(params[:-1], SIZES)


def test_bias_gap_fractions_accuracy_loss_and_margin():
    params = tiny_params()
    assert mlp_state.attacked_coordinate_value(params) == -3.0
    assert mlp_state.bias_gap(params, -1, SIZES) == (-3.5, -3.5)
    three = np.concatenate([np.zeros(9 + 3 + 9), [1.0, 4.0, -2.0]])  # 3 hidden units, 3 classes
    assert mlp_state.bias_gap(three, -1, (3, 3, 3)) == (-4.5, -6.0)
    assert mlp_state.bias_gap(three, 1, (3, 3, 3)) == (4.5, 3.0)
    logits = np.array([[0.5, -3.0], [2.5, -3.0], [0.5, 1.0], [1.5, -2.0]])
    np.testing.assert_allclose(mlp_state.predicted_fractions(logits), [0.75, 0.25])
    labels = np.array([0, 1, 1, 0])
    accuracy, loss = mlp_state.accuracy_and_loss(logits, labels)
    reference = np.mean([np.log1p(np.exp(-3.5)), np.log1p(np.exp(5.5)), np.log1p(np.exp(-0.5)),
                         np.log1p(np.exp(-3.5))])
    assert accuracy == 0.75 and loss == pytest.approx(reference)
    # class 1's images (rows 1, 2): (-3 - 2.5) and (1 - 0.5) -> mean -2.5
    assert figure2_seeds.class_margin(logits, labels, 1) == pytest.approx(-2.5)


def test_logits_follow_the_training_flat_layout_of_the_keras_mlp():
    import models

    model = models.mnist_mlp()
    params = flat.flatten(model.trainable_variables).numpy()
    images = np.random.default_rng(0).random((5, 28, 28, 1)).astype(np.float32)
    np.testing.assert_allclose(mlp_state.logits(params, images), model(images).numpy(), rtol=1e-4, atol=1e-5)
    hidden = models.mnist_mlp().layers  # a Dense(100) then Dense(10): the sizes the module assumes
    assert mlp_state.MNIST_MLP_SIZES == (784, hidden[1].units, hidden[2].units)


def test_spearman_and_best_split_on_hand_cases():
    assert rank_stats.ranks([10, 30, 20, 20]).tolist() == [1.0, 4.0, 2.5, 2.5]
    assert rank_stats.spearman([1, 2, 3, 4], [10, 20, 35, 90]) == pytest.approx(1.0)
    assert rank_stats.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # ranks x 1..4, y (1, 3, 2, 4): 1 - 6 * 2 / (4 * 15) = 0.8
    assert rank_stats.spearman([1, 2, 3, 4], [5, 7, 6, 8]) == pytest.approx(0.8)
    assert np.isnan(rank_stats.spearman([1, 1, 1], [1, 2, 3]))
    assert rank_stats.spearman([1, np.nan, 2, 3], [3, 0, 2, 1]) == pytest.approx(-1.0)
    assert rank_stats.best_split([1, 2, 8, 9], [False, False, True, True]) == (5.0, ">", 0)
    assert rank_stats.best_split([1, 2, 8, 9], [True, True, False, False]) == (5.0, "<", 0)
    threshold, direction, errors = rank_stats.best_split([1, 2, 3, 8, 9], [False, True, False, True, True])
    assert (threshold, direction, errors) == (5.5, ">", 1)


def test_parse_seeds_and_attack_summary():
    assert figure2_seeds.parse_seeds("1-3,7,2") == [1, 2, 3, 7]
    assert figure2_seeds.parse_seeds("5") == [5]
    for bad in ("", "a-3", "4-2", "1,,x"):
        with pytest.raises(ValueError, match="--seeds"):
            figure2_seeds.parse_seeds(bad)
    metrics = {"gamma": np.array([np.nan, 2.0, 4.0, np.nan]), "lr": np.array([1.0, 1.0, 0.5, 0.5]),
               "selected": np.array([np.nan, 1.0, 0.0, np.nan])}
    assert figure2_seeds.attack_summary(metrics, 2) == {"gamma_mean": 3.0, "push": 4.0, "selected": 0.5}


def _config(tmp_path, **changes):
    settings = dict(dataset="synthetic", gar="krum", n=5, f=1, batch_size=8, lr0=0.5, lr_decay=100, steps=6,
                    eval_every=3, checkpoint_every=3, attack="lp", attack_stop=3,
                    results_dir=os.path.join(str(tmp_path), "long"), seed=3)
    settings.update(changes)
    return training.RunConfig(**settings)


@pytest.fixture(scope="module")
def long_run(tmp_path_factory):
    """(config, folder) of a finished 6-step Krum run under the lp attack over steps [0, 3)."""
    tmp_path = tmp_path_factory.mktemp("long")
    config = _config(tmp_path)
    return config, training.run(config, progress=False)


def test_the_prefix_of_a_run_has_its_state_at_the_attack_stop(long_run, tmp_path):
    config, long_dir = long_run
    prefix = figure2_seeds.prefix_config(config, 3, str(tmp_path / "work"))
    assert prefix.steps == 3 and prefix.results_dir == str(tmp_path / "work" / "paper")
    prefix_dir = training.run(prefix, progress=False)
    long_metrics, prefix_metrics = training.read_metrics(long_dir), training.read_metrics(prefix_dir)
    assert not np.isnan(long_metrics["gamma"][1:4]).any() and np.isnan(long_metrics["gamma"][4:]).all()
    assert figure2_seeds.prefix_mismatches(prefix_metrics, long_metrics) == []
    at_stop, step = run_folder.read_params(prefix_dir)
    long_at_stop, long_step = run_folder.read_params(long_dir, 3)
    assert step == long_step == 3
    np.testing.assert_array_equal(at_stop, long_at_stop)
    last, last_step = run_folder.read_params(long_dir)
    assert last_step == 6 and not np.array_equal(last, at_stop)
    # Another seed's prefix is not this run's: the check can fail.
    other = training.run(figure2_seeds.prefix_config(dataclasses.replace(config, seed=4), 3, str(tmp_path / "w")),
                         progress=False)
    assert "train_loss" in figure2_seeds.prefix_mismatches(training.read_metrics(other), long_metrics)
    assert not np.array_equal(run_folder.read_params(other)[0], at_stop)


def test_read_params_writes_nothing_and_names_a_missing_checkpoint(tmp_path):
    run_dir = training.run(_config(tmp_path, steps=3, attack="none", attack_stop=None, f=0), progress=False)

    def listing():
        return sorted((os.path.relpath(os.path.join(root, name), run_dir),
                       os.stat(os.path.join(root, name)).st_mtime_ns)
                      for root, _, names in os.walk(run_dir) for name in names)

    before = listing()
    params, step = run_folder.read_params(run_dir)
    assert step == 3 and params.shape == (79510,) and params.dtype == np.float32
    assert listing() == before
    assert run_folder.state(run_dir).finished and not run_folder.state(str(tmp_path / "absent")).finished
    with pytest.raises(ValueError, match="holds no checkpoint of step 2"):
        run_folder.read_params(run_dir, 2)


def test_correlations_and_table_on_made_up_rows():
    rows = []
    for seed, (dead, accuracy) in enumerate([(90, 0.2), (94, 0.18), (70, 0.9), (80, 0.85)], 1):
        row = {key: 0.0 for key in figure2_seeds.FEATURES}
        row.update(seed=seed, curve="krum", rule="Krum", final_accuracy=accuracy, recovered=accuracy >= 0.5)
        row["dead@last"] = dead
        row["norm@stop"] = float([1, 4, 2, 3][seed - 1])  # no threshold separates the outcomes
        rows.append(row)
    rhos, splits = figure2_seeds.correlations(rows, {"Krum": ["krum"]})
    assert rhos["dead@last"]["Krum"] == pytest.approx(-1.0)  # ranks (3, 4, 1, 2) against (2, 1, 4, 3)
    assert splits["dead@last"] == (85.0, "<", 0)
    assert splits["norm@stop"][2] == 1
    text = figure2_seeds.table(rows)
    assert text.count("\n") == len(rows) + 1 and "| 3 | Krum |" in text and "| yes |" in text
    assert "live @1000" not in figure2_seeds.findings(rows, {"Krum": ["krum"]})
    assert ('dead @1000, ρ = -1.00 with the final accuracy; "left iff dead @1000 < 85" misplaces 0 run(s)'
            in figure2_seeds.findings(rows, {"Krum": ["krum"]}))
    steps = np.array([0, 50, 100])
    curves = {(row["seed"], "krum"): (steps, np.array([0.1, 0.3, row["final_accuracy"]])) for row in rows}
    curves[1, "krum"][1][1] = 0.9  # at step 50 seed 1 (which stays) looks best
    decided = figure2_seeds.decision_steps(rows, curves, ["krum"], [50, 100]).splitlines()
    assert decided[2] == "| ρ(acc at step, final acc) | -0.26 | +1.00 |"
    assert decided[3] == "| runs misplaced by the best split of acc at step (4 runs) | 1 | 0 |"


@pytest.mark.parametrize("argv, message", [
    (["--seeds=3-1"], "--seeds range '3-1' is empty"),
    (["--rules=average"], "--rules takes Figure 2's attacked rules brute, geomed, krum, got average"),
    (["--trace=krum"], "--trace takes seed:rule items like 1:krum, got 'krum'"),
    (["--plot_feature=colour"], "flag --plot_feature=colour: value should be one of"),
])
def test_cli_bad_input_is_one_line_and_exit_code_2(argv, message, capsys):
    parse = command_line.parser(figure2_seeds.FLAGS, figure2_seeds.__doc__)
    try:
        with pytest.raises(SystemExit) as exit_info:
            figure2_seeds.main(parse(["figure2_seeds"] + argv))
    finally:
        figure2_seeds.FLAGS.unparse_flags()
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and message in error and error.count("\n") == 1


def test_a_continuation_from_the_attack_stop_with_the_runs_seed_is_the_run(long_run, tmp_path):
    config, long_dir = long_run
    long_metrics = training.read_metrics(long_dir)
    work = str(tmp_path / "work")
    same = training.read_metrics(figure2_seeds.continuation(config, work, config.seed))
    np.testing.assert_array_equal(same["step"], [4, 5, 6])
    for column in ("lr", "train_loss", "accuracy", "test_loss"):
        np.testing.assert_array_equal(same[column], long_metrics[column][4:], err_msg=column)
    restarted = os.path.join(work, "reseed", f"reseed3-{config.resolved_run_name()}")
    np.testing.assert_array_equal(run_folder.read_params(restarted)[0], run_folder.read_params(long_dir)[0])
    other = training.read_metrics(figure2_seeds.continuation(config, work, 11))
    assert not np.array_equal(other["train_loss"], same["train_loss"])


def test_report_and_plot_from_made_up_rows(tmp_path):
    from plots.seeds_plot import plot_seeds

    rows = []
    for seed, rule, live, accuracy in [(1, "Krum", 1, 0.17), (2, "Krum", 9, 0.84), (1, "GeoMed", 2, 0.2),
                                       (2, "GeoMed", 7, 0.75)]:
        row = {key: 1.0 for key in figure2_seeds.FEATURES}
        row.update(seed=seed, curve=rule.lower(), rule=rule, final_accuracy=accuracy, recovered=accuracy >= 0.5,
                   stop=50, last_step=1000, prefix_matches=True, selected=1.0 if seed == 1 else 0.98)
        row["live@last"] = live
        rows.append(row)
    groups = {"Krum+GeoMed": ["krum", "geomed"], "Krum": ["krum"]}
    trace_rows = [{key: 0.5 for key, _, _ in figure2_seeds.TRACE_COLUMNS} | {"step": step} for step in (50, 100)]
    restarts = [("seed 1, Krum", "krum", 0.17, [(101, 0.64, 6, True), (102, 0.21, 3, False)])]
    text = figure2_seeds.report(rows, groups, "1-2", 2000, traces=[("seed 1, Krum", trace_rows, [])],
                                restarts=restarts, references=[(1, 0.973, 84)], reading="reading.md")
    assert "finished and measured: 1, 2." in text and "[reading.md](reading.md)" in text
    assert ("Left the sub-space of ineffective models (the Figure 2 claim's definition, "
            "`experiments/paper/claims.py`: a run stayed when at every evaluation from step 50 to the last its "
            "accuracy is at least 20 points below its seed's unattacked Average at the same step, and left when "
            "one evaluation is closer): Krum 1/2, GeoMed 1/2.") in text
    assert "recovered" not in text.lower() and "final accuracy >= 50%" not in text
    assert "for 4 of 4 runs. The rule selected B(γ_m) at every attack step in 2 of 4 runs." in text
    assert "| seed 1, Krum | 17.0% | 101: 64.0% (6), 102: 21.0% (3) | 1/2 |" in text
    assert "## Trace: seed 1, Krum (re-trained, its metrics equal the run's)" in text
    assert "| 100 | 50.0% |" in text and "1: 97.3% (84)" in text
    curves = {(row["seed"], row["curve"]): (np.array([0, 50, 1000]), np.array([0.1, 0.2, row["final_accuracy"]]))
              for row in rows}
    panels = [("live@last", "live @1000", 4.5, "best split")]
    path = plot_seeds(rows, panels, curves, str(tmp_path / "seeds.png"), None, 50, "title",
                      figure2_seeds.plotted_restarts(restarts))
    assert os.path.getsize(path) < 300_000
    with open(path, "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"


def test_left_and_stayed_are_the_figure2_claims_definition():
    # Average at 97% from step 50 on, evaluated every 50 steps up to 1000
    average = {"step": np.arange(0, 1001, 50), "accuracy": np.r_[0.1, np.full(20, 0.97)]}

    def run(values):
        return {"step": np.arange(0, 1001, 50), "accuracy": np.r_[0.1, values]}

    # ends at 75% (above any fixed 50% line) but 22 points below Average at every evaluation: stayed
    low = run(np.linspace(0.3, 0.75, 20))
    # within 20 points of Average at steps 400-500 (80%), then back to 30%: left, though it ends low
    back = run(np.r_[np.full(7, 0.3), [0.8, 0.8, 0.8], np.full(10, 0.3)])
    # 20.5 points below at every evaluation, then 19.5 at the last: left
    edge = run(np.r_[np.full(19, 0.765), 0.775])
    for metrics, left in ((low, False), (back, True), (edge, True), (run(np.full(20, 0.765)), False)):
        assert figure2_seeds.left_subspace(metrics, average, 50) is left
        assert claims.stayed_ineffective(metrics, average, 50) is not left
    assert not hasattr(figure2_seeds, "RECOVERED_ACCURACY")  # no second notion of the outcome
