"""A reorganisation changes no number: a few short MNIST runs (Krum and Bulyan under lp, median under
alie, GeoMed under linf with norm inf, an attack window, Average; `golden/runs.py`) give, bit for bit,
the metrics recorded in `golden/metrics.json` from the code as it was before (wall time aside)."""

import json
import os

import numpy as np
import pytest

from golden.runs import GOLDEN_RUNS, train_all

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared", "data")


@pytest.mark.skipif(not os.path.isdir(os.path.join(DATA, "mnist")), reason="../shared/data absent")
def test_short_runs_repeat_the_recorded_metrics(tmp_path):
    with open(os.path.join(HERE, "golden", "metrics.json")) as file:
        recorded = json.load(file)
    assert sorted(recorded) == sorted(GOLDEN_RUNS)
    trained = train_all(DATA, str(tmp_path))
    for name, columns in recorded.items():
        assert sorted(trained[name]) == sorted(columns), name
        for column, values in columns.items():
            expected = np.array([np.nan if v is None else v for v in values])
            np.testing.assert_array_equal(np.array(trained[name][column], dtype=float), expected,
                                          err_msg=f"{name}: {column}")
