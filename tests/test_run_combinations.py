"""Today's defences and attacks from one command: chains, worker momentum, heterogeneous data and the new
attacks combine; every impossible setting is one line and exit 2 before any data loads."""

import os

import pytest

import training
from experiments import run as cli
from training import datasets

datasets.register("synthetic", lambda *_: datasets.synthetic(train=256, test=100), model="mnist_mlp")


def _main(argv, tmp_path):
    cli.FLAGS(["run", f"--results_dir={tmp_path}"] + argv)
    try:
        cli.main(["run"])
    finally:
        cli.FLAGS.unparse_flags()


def test_one_command_runs_a_chain_with_momentum_dirichlet_data_and_alie_auto(tmp_path, capsys):
    _main(["--dataset=synthetic", "--gar=arc+nnm+trimmed-mean", "--momentum=0.9", "--momentum_dampening=0.9",
           "--heterogeneity=dirichlet:0.5", "--attack=alie", "--attack_options=z=auto", "--n=9", "--f=2",
           "--steps=2", "--batch_size=4", "--eval_every=2", "--run_name=combined"], tmp_path)
    assert "final test accuracy" in capsys.readouterr().out
    saved = training.run_folder.read_config(os.path.join(tmp_path, "combined"))
    assert saved["momentum"] == 0.9 and saved["heterogeneity"] == "dirichlet:0.5" and saved["finished"]
    assert len(saved["class_histograms"]) == 7
    assert set(training.read_metrics(os.path.join(tmp_path, "combined"))) >= {"z", "displacement"}


@pytest.mark.parametrize("argv, message", [
    (["--momentum=1"], "momentum must be in [0, 1), got 1.0"),
    (["--momentum=-0.1"], "momentum must be in [0, 1), got -0.1"),
    (["--momentum=nan"], "momentum must be a finite number, got nan"),
    (["--momentum=0.9", "--momentum_dampening=1.5"], "momentum_dampening must be in [0, 1], got 1.5"),
    (["--momentum=0.9", "--momentum_dampening=-1"], "momentum_dampening must be in [0, 1], got -1.0"),
    (["--momentum_dampening=0.5"], "momentum_dampening=0.5 needs momentum > 0 (with momentum=0 the workers submit "
                                   "their gradients as they are)"),
    (["--heterogeneity=dirichlet:0"], "heterogeneity dirichlet:ALPHA needs a finite ALPHA > 0, got 'dirichlet:0'"),
    (["--heterogeneity=classes:11"], "heterogeneity classes:11 asks for 11 classes per worker, but the dataset "
                                     "has 10"),
    (["--heterogeneity=foo"], "heterogeneity must be iid, dirichlet:ALPHA or classes:K, got 'foo'"),
    (["--gar=bucketing+krum", "--n=11", "--f=2"], "bucketing+krum needs n >= 13 for f=2, got n=11"),
    (["--gar=bucketing+krum", "--n=20", "--f=2", "--gar_options=bucketing.size=3"],
     "bucketing+krum has no option 'bucketing.size'; its options: bucketing.s, bucketing.seed"),
    (["--gar=bucketing+median", "--n=9", "--f=2", "--gar_options=bucketing.seed=4"],
     "gar_options bucketing.seed is set by the training step (a fresh key every step); do not pass it"),
    (["--gar=nnm+bucketing"], "'nnm+bucketing' ends with the step 'bucketing'"),
    (["--n=5", "--f=1", "--attack=mimic", "--attack_options=warmup=0"],
     "attack 'mimic': option 'warmup' must be >= 1, got 0"),
])
def test_impossible_settings_exit_2_with_one_line(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        _main(["--data_dir=/nonexistent"] + argv, tmp_path)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {message}"), err
    assert not os.listdir(tmp_path)  # nothing trained or written


def test_an_empty_share_stops_the_run_before_it_writes_anything(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _main(["--dataset=synthetic", "--n=40", "--heterogeneity=dirichlet:0.001", "--steps=1"], tmp_path)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: heterogeneity dirichlet:0.001 leaves worker ")
    assert err[0].endswith(" no example; raise ALPHA") and not os.listdir(tmp_path)
