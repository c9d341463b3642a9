"""Checkpoints: atomic saves, the last two kept, a corrupt latest skipped with a warning naming it."""

import os

import numpy as np
import pytest
import tensorflow as tf

from training import checkpoints
from training.errors import RunError


def _state(value):
    params, step = tf.Variable(tf.fill([5], float(value))), tf.Variable(int(value), dtype=tf.int64)
    return {"params": params, "step": step}, params, step


def _save_steps(directory, numbers):
    for number in numbers:
        checkpoints.save(str(directory), number, _state(number)[0])


@pytest.fixture
def warnings(monkeypatch):
    said = []
    monkeypatch.setattr(checkpoints.logging, "warning", lambda message, *args: said.append(message % args))
    return said


def _restored(directory):
    variables, params, step = _state(-1)
    number = checkpoints.restore(str(directory), variables)
    if number is None:
        assert int(step.numpy()) == -1  # untouched
    else:
        assert int(step.numpy()) == number
        np.testing.assert_array_equal(params.numpy(), np.full(5, number, np.float32))
    return number


def test_save_keeps_the_last_two_and_tensorflow_reads_them(tmp_path, warnings):
    _save_steps(tmp_path, [2, 4, 6])
    assert checkpoints.steps(str(tmp_path)) == [4, 6]
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt-4.data-00000-of-00001", "ckpt-4.index",
                                            "ckpt-6.data-00000-of-00001", "ckpt-6.index"]
    assert tf.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / "ckpt-6")
    assert _restored(tmp_path) == 6 and not warnings
    assert _restored(tmp_path / "none") is None


def test_reads_a_folder_written_by_checkpoint_manager(tmp_path):
    checkpoint = tf.train.Checkpoint(**_state(8)[0])
    tf.train.CheckpointManager(checkpoint, str(tmp_path), max_to_keep=2).save(checkpoint_number=8)
    assert _restored(tmp_path) == 8


@pytest.mark.parametrize("damage", [
    lambda prefix: open(prefix + ".data-00000-of-00001", "r+b").write(np.random.default_rng(0).bytes(64)),
    lambda prefix: open(prefix + ".index", "w").close(),
    lambda prefix: os.remove(prefix + ".data-00000-of-00001"),
])
def test_a_corrupt_latest_falls_back_to_the_previous_one_with_a_warning(tmp_path, warnings, damage):
    _save_steps(tmp_path, [4, 6])
    damage(str(tmp_path / "ckpt-6"))
    assert _restored(tmp_path) == 4
    assert warnings[0].startswith(f"checkpoint {tmp_path / 'ckpt-6'} is unreadable (")
    _save_steps(tmp_path, [5])  # the run goes on from 4: the unreadable 6 is replaced when its turn comes
    assert checkpoints.steps(str(tmp_path)) == [4, 5]


def test_no_readable_checkpoint_names_the_run_folder_to_delete(tmp_path, warnings):
    directory = tmp_path / "run" / "checkpoints"
    _save_steps(directory, [4, 6])
    for number in (4, 6):
        open(directory / f"ckpt-{number}.index", "w").close()
    with pytest.raises(RunError, match=rf"no readable checkpoint in {directory} \(ckpt-6, ckpt-4 are corrupt\); "
                                       rf"delete the run folder {tmp_path / 'run'} to train"):
        _restored(directory)
    assert len(warnings) == 2


def test_a_save_killed_before_its_index_is_in_place_leaves_the_latest_usable(tmp_path, monkeypatch, warnings):
    _save_steps(tmp_path, [4, 6])
    real = os.replace

    def killed_at_the_index(source, target):
        if str(target).endswith("ckpt-8.index"):
            raise KeyboardInterrupt("killed")
        real(source, target)

    monkeypatch.setattr(checkpoints.os, "replace", killed_at_the_index)
    with pytest.raises(KeyboardInterrupt):
        _save_steps(tmp_path, [8])
    monkeypatch.setattr(checkpoints.os, "replace", real)
    assert os.path.exists(tmp_path / "ckpt-8.data-00000-of-00001")  # data in place, index not: no ckpt-8
    assert _restored(tmp_path) == 6 and not warnings
    _save_steps(tmp_path, [8])
    assert checkpoints.steps(str(tmp_path)) == [6, 8] and not any("partial" in f for f in os.listdir(tmp_path))
