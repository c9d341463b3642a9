"""A worker process for tests/test_distributed.py: `experiments.run` with the tests' small synthetic dataset
registered. With TEST_FAIL_AT_STEP=k in the environment, the worker of TF_CONFIG index TEST_FAIL_INDEX
(default 1) raises RuntimeError("simulated failure ...") at its k-th training step (the launcher's tests)."""

import json
import os

from experiments import run
from training import command_line, datasets, loop

datasets.register("synthetic", lambda *_: datasets.synthetic(train=256, test=100))


def _failing_at(step_number):
    real = loop.make_train_step

    def make_train_step(*args, **kwargs):
        train_step, names = real(*args, **kwargs)
        calls = []

        def failing_step():
            calls.append(1)
            if len(calls) == step_number:
                raise RuntimeError(f"simulated failure of this worker at its step {step_number}")
            return train_step()

        return failing_step, names

    return make_train_step


if __name__ == "__main__":
    index = json.loads(os.environ.get("TF_CONFIG", '{"task": {"index": 0}}'))["task"]["index"]
    if "TEST_FAIL_AT_STEP" in os.environ and index == int(os.environ.get("TEST_FAIL_INDEX", "1")):
        loop.make_train_step = _failing_at(int(os.environ["TEST_FAIL_AT_STEP"]))
    command_line.run(run.main, run.FLAGS, run.__doc__)
