"""The step's state under tf.distribute: worker momenta, mimic's state, Dirichlet shares and labelflip's
flipped rows over 2 logical CPUs (mirrored) give the single process's metrics, parameters and state bit for
bit. (Logical devices must be set before TensorFlow starts: the mirrored runs go to a subprocess, see
tests/test_distributed.py.)"""

import os
import subprocess
import sys

import numpy as np

import training
from training import checkpoints, datasets

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(REPO, "tests"), REPO]), TF_CPP_MIN_LOG_LEVEL="2")
SHARED = dict(dataset="synthetic", batch_size=6, lr0=0.5, lr_decay=100, steps=4, eval_every=2, checkpoint_every=2,
              seed=3, momentum=0.9)
RUNS = {  # mimic: h = 5 computing workers, 3 per replica, one padding row; labelflip: all 6, 3 per replica
    "mimic": dict(gar="median", n=7, f=2, attack="mimic", attack_options={"warmup": 2},
                  heterogeneity="dirichlet:1"),
    "labelflip": dict(gar="bucketing+median", n=6, f=1, attack="labelflip", momentum_dampening=0.9,
                      heterogeneity="classes:3"),
    "bulyan-lp": dict(gar="bulyan-krum", n=7, f=1, attack="lp"),  # h = 6, 3 per replica
    "gaussian": dict(gar="krum", n=7, f=2, attack="gaussian"),  # the noise keyed by the step's seed
}
STATE = {"mimic": ["params", "momenta", "attack_mu", "attack_z", "attack_target", "attack_calls"],
         "labelflip": ["params", "momenta"], "bulyan-lp": ["params", "momenta"], "gaussian": ["params", "momenta"]}

datasets.register("synthetic", lambda *_: datasets.synthetic(train=256, test=100), model="mnist_mlp")


def test_mirrored_over_two_logical_cpus_equals_one_process(tmp_path):
    script = ("import distributed_worker, training\n"  # registers the dataset
              f"for name, settings in {RUNS!r}.items():\n"
              f"    config = training.RunConfig(**{SHARED!r}, **settings, results_dir={str(tmp_path / 'mirrored')!r},\n"
              "                                run_name=name, strategy='mirrored', replicas=2)\n"
              "    training.run(config, progress=False)\n")
    process = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=ENV, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        single = {name: training.run(training.RunConfig(**SHARED, **settings, results_dir=str(tmp_path / "single"),
                                                        run_name=name), progress=False)
                  for name, settings in RUNS.items()}
        _, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr[-3000:]
    for name, reference in single.items():
        mirrored = str(tmp_path / "mirrored" / name)
        got, want = training.read_metrics(mirrored), training.read_metrics(reference)
        assert list(got) == list(want)
        for column in want:
            if column != "wall_time":
                np.testing.assert_array_equal(got[column], want[column], err_msg=f"{name}: {column}")
        final, _ = checkpoints.read(os.path.join(mirrored, "checkpoints"), STATE[name])
        expected, _ = checkpoints.read(os.path.join(reference, "checkpoints"), STATE[name])
        for key in STATE[name]:
            np.testing.assert_array_equal(np.atleast_1d(final[key]).view(np.uint8),
                                          np.atleast_1d(expected[key]).view(np.uint8), err_msg=f"{name}: {key}")
        assert np.abs(expected["momenta"]).max() > 0
