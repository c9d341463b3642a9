"""Test helper: run `training.run` with a simulated interruption (the k-th step call raises, as a kill
would stop the process there); the next `training.run` of the same config resumes from the checkpoint.

Run as a script, it interrupts `python -m experiments.run` with real signals:

    python tests/interrupting.py SIGINT:5 SIGKILL:3 -- <experiments.run flags>

runs the command once per SIGNAL:CALL in this one process, sending itself SIGNAL at the CALL-th step of
that session: SIGINT raises KeyboardInterrupt, whose message is printed before the next session starts
(as a rerun of the command would); SIGTERM and SIGKILL end the process there.
"""

import contextlib
import gc
import os
import signal
import sys
import time

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


def _signalling_at(make_train_step, signal_number, call):
    """`make_train_step` whose step sends this process `signal_number` at its `call`-th call."""

    def signalling(*args, **kwargs):
        train_step, names = make_train_step(*args, **kwargs)
        calls = []

        def step():
            calls.append(1)
            if len(calls) == call:
                os.kill(os.getpid(), signal_number)
                for _ in range(1000):  # the handler (SIGINT's KeyboardInterrupt) runs in a sleep at the latest
                    time.sleep(0.01)
                raise RuntimeError(f"signal {signal_number} did not stop the step")
            return train_step()

        return step, names

    return signalling


def main(argv):
    from experiments import run as command

    # Python's Ctrl-C handler, even when this process was started with SIGINT ignored (a background job of a
    # non-interactive shell, as some CI runners start their commands), which Python would otherwise keep.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    separator = argv.index("--")
    real = loop.make_train_step
    for session in argv[1:separator]:
        name, call = session.split(":")
        loop.make_train_step = _signalling_at(real, getattr(signal, name), int(call))
        command.FLAGS(["run"] + argv[separator + 1:])
        try:
            command.main(["run"])
        except KeyboardInterrupt as interrupt:
            print(f"{name}: {interrupt}", flush=True)
        finally:
            command.FLAGS.unparse_flags()
        gc.collect()  # what the process's exit would close


if __name__ == "__main__":
    main(sys.argv)
