"""Test helper: run `training.run` with a simulated interruption (the k-th step call raises, as a kill
would stop the process there); the next `training.run` of the same config resumes from the checkpoint."""

import contextlib

import pytest

import training
from training import loop


@contextlib.contextmanager
def steps_raising_at(monkeypatch, call):
    """Inside the block, the `call`-th step of a run raises KeyboardInterrupt."""
    real = loop.make_train_step

    def crashing(*args, **kwargs):
        train_step, names = real(*args, **kwargs)
        calls = []

        def step():
            calls.append(1)
            if len(calls) == call:
                raise KeyboardInterrupt("simulated interrupt")
            return train_step()

        return step, names

    monkeypatch.setattr(loop, "make_train_step", crashing)
    try:
        yield
    finally:
        monkeypatch.setattr(loop, "make_train_step", real)


def interrupted_then_resumed(monkeypatch, config, call=5):
    """Trains `config` until its `call`-th step raises, then again to the end; returns the run folder."""
    with steps_raising_at(monkeypatch, call), pytest.raises(KeyboardInterrupt):
        training.run(config, progress=False)
    return training.run(config, progress=False)
