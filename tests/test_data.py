"""Data: raw readers on hand-made files, the real MNIST files offline, sampling, normalisation."""

import gzip
import os
import pickle

import numpy as np
import pytest
import tensorflow as tf

from training import datasets, raw_files, sampling
from training.errors import RunError

SHARED_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    with gzip.open(path, "wb") as file:
        file.write(header + array.astype(np.uint8).tobytes())


def test_mnist_idx_reader_on_hand_made_files(tmp_path):
    train = np.arange(3 * 28 * 28).reshape(3, 28, 28) % 256
    test = np.full((2, 28, 28), 7)
    for name, array in zip(raw_files.MNIST_FILES, (train, np.array([5, 0, 4]), test, np.array([7, 2]))):
        _write_idx(tmp_path / name, array)
    train_x, train_y, test_x, test_y = raw_files.find_raw("mnist", str(tmp_path))()
    assert train_x.shape == (3, 28, 28, 1) and train_x.dtype == np.uint8
    np.testing.assert_array_equal(train_x[..., 0], train)
    np.testing.assert_array_equal(train_y, [5, 0, 4])
    np.testing.assert_array_equal(test_y, [7, 2])
    assert test_x.sum() == 2 * 28 * 28 * 7


def test_idx_reader_rejects_a_truncated_file(tmp_path):
    path = tmp_path / "bad.gz"
    with gzip.open(path, "wb") as file:
        file.write(bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big") + b"\x01\x02")
    with pytest.raises(ValueError, match="header says"):
        raw_files.read_idx_gz(str(path))


def _cifar_rows(count, offset):
    rows = (np.arange(count * 3072).reshape(count, 3072) + offset) % 251
    return rows.astype(np.uint8)


def test_cifar10_py_and_bin_readers_agree_on_hand_made_files(tmp_path):
    py, binary = tmp_path / "cifar10" / "cifar-10-batches-py", tmp_path / "other" / "cifar-10-batches-bin"
    py.mkdir(parents=True)
    binary.mkdir(parents=True)
    for i, (py_name, bin_name) in enumerate(zip(raw_files.CIFAR10_PY_FILES, raw_files.CIFAR10_BIN_FILES)):
        rows, labels = _cifar_rows(2, i), [i % 10, (i + 3) % 10]
        with open(py / py_name, "wb") as file:
            pickle.dump({b"labels": labels, b"data": rows}, file, protocol=2)
        records = np.concatenate([np.array(labels, np.uint8)[:, None], rows], axis=1)
        records.tofile(binary / bin_name)
    from_py = raw_files.find_raw("cifar10", str(tmp_path))()
    from_bin = raw_files.find_raw("cifar10", str(tmp_path / "other"))()
    for a, b in zip(from_py, from_bin):
        np.testing.assert_array_equal(a, b)
    train_x, train_y, test_x, test_y = from_py
    assert train_x.shape == (10, 32, 32, 3) and test_x.shape == (2, 32, 32, 3)
    np.testing.assert_array_equal(train_y[:4], [0, 3, 1, 4])
    # Pixel (row 0, col 1) of image 0: R plane value 1, G plane 1024 + 1, B plane 2048 + 1 (mod 251).
    np.testing.assert_array_equal(train_x[0, 0, 1], [1, 1025 % 251, 2049 % 251])


def test_channel_mean_std_equals_numpy():
    images = np.random.default_rng(0).integers(0, 256, (50, 4, 4, 3)).astype(np.uint8)
    mean, std = datasets.channel_mean_std(images)
    scaled = images.reshape(-1, 3) / 255.0
    np.testing.assert_allclose(mean, scaled.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(std, scaled.std(axis=0), rtol=1e-12)


def test_normalise_mnist_to_unit_interval_and_cifar_standardised():
    data = datasets.Dataset("x", "mnist_mlp", None, None, None, None)
    np.testing.assert_allclose(data.normalise(tf.constant([[0, 51, 255]], tf.uint8)).numpy(), [[0, 0.2, 1]])
    cifar = datasets.Dataset("x", "cifar10_cnn", None, None, None, None, mean=(0.5, 0, 0), std=(0.25, 1, 1))
    got = cifar.normalise(tf.constant([[255, 0, 255]], tf.uint8)).numpy()
    np.testing.assert_allclose(got, [[2.0, 0.0, 1.0]])


def test_sampling_is_stateless_iid_and_keyed_by_worker():
    a = sampling.sample_indices(3, tf.constant(7, tf.int64), 5, 100, 1000).numpy()
    b = sampling.sample_indices(3, 7, 8, 100, 1000).numpy()
    np.testing.assert_array_equal(a, b[:5])  # a worker's batch does not depend on the worker count
    assert a.shape == (5, 100) and a.min() >= 0 and a.max() < 1000
    assert not np.array_equal(a[0], a[1])  # workers draw different batches
    assert not np.array_equal(a, sampling.sample_indices(3, 8, 5, 100, 1000).numpy())  # and anew each step
    assert not np.array_equal(a, sampling.sample_indices(4, 7, 5, 100, 1000).numpy())  # per seed
    draws = sampling.sample_indices(0, 0, 1, 20000, 4).numpy()
    assert np.all(np.abs(np.bincount(draws[0], minlength=4) / 20000 - 0.25) < 0.02)  # uniform


def test_unknown_dataset_and_source():
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'"):
        datasets.load("imagenet")
    with pytest.raises(ValueError, match="data source must be one of"):
        datasets.load("mnist", source="web")


@pytest.mark.skipif(not os.path.isdir(os.path.join(SHARED_DATA, "mnist")), reason="../shared/data absent")
def test_real_mnist_offline_from_the_official_files():
    data = datasets.load("mnist", data_dir=SHARED_DATA)
    assert data.train_images.shape == (60000, 28, 28, 1) and data.test_images.shape == (10000, 28, 28, 1)
    np.testing.assert_array_equal(data.train_labels[:10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
    np.testing.assert_array_equal(data.test_labels[:10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
    assert int(data.train_images.sum(dtype=np.int64)) == 1567298545
    assert int(data.test_images.sum(dtype=np.int64)) == 264923200
    assert data.model == "mnist_mlp"


@pytest.mark.skipif(not os.path.isdir(os.path.join(SHARED_DATA, "cifar10")), reason="../shared/data absent")
def test_real_cifar10_offline_first_images():
    train_x, train_y, test_x, test_y = raw_files.find_raw("cifar10", SHARED_DATA)()
    assert train_x.shape == (50000, 32, 32, 3) and test_x.shape == (10000, 32, 32, 3)
    assert np.bincount(train_y).tolist() == [5000] * 10 and np.bincount(test_y).tolist() == [1000] * 10


@pytest.mark.skipif(os.environ.get("BULYAN_TFDS_TEST") != "1" or not os.path.isdir(SHARED_DATA),
                    reason="slow (TFDS prepares MNIST, ~40 s): set BULYAN_TFDS_TEST=1")
def test_tfds_prepares_mnist_offline_from_the_official_files(tmp_path):
    tfds_data = datasets.load("mnist", data_dir=SHARED_DATA, tfds_dir=str(tmp_path), source="tfds")
    assert os.path.isfile(tmp_path / "bulyan_arrays" / "mnist.npz")  # the next load is quick
    raw = datasets.load("mnist", data_dir=SHARED_DATA, source="raw")
    for split in ("train", "test"):  # same examples, in TFDS's own order
        for kind in ("images", "labels"):
            a, b = getattr(tfds_data, f"{split}_{kind}"), getattr(raw, f"{split}_{kind}")
            assert a.shape == b.shape and a.dtype == b.dtype
            assert int(a.sum(dtype=np.int64)) == int(b.sum(dtype=np.int64))
    again = datasets.load("mnist", data_dir=SHARED_DATA, tfds_dir=str(tmp_path), source="tfds")
    np.testing.assert_array_equal(again.train_labels, tfds_data.train_labels)


def _hand_made_mnist(folder):
    folder.mkdir(parents=True, exist_ok=True)
    arrays = (np.zeros((3, 28, 28)), np.array([5, 0, 4]), np.zeros((2, 28, 28)), np.array([7, 2]))
    for name, array in zip(raw_files.MNIST_FILES, arrays):
        _write_idx(folder / name, array)
    return folder


@pytest.fixture
def no_tfds(monkeypatch):
    """Makes any use of TFDS fail the test (it would download)."""
    def forbidden(*args):
        raise AssertionError(f"TFDS was called with {args}")

    monkeypatch.setattr(datasets, "_load_tfds", forbidden)


def test_a_data_dir_without_the_files_names_them_and_downloads_nothing(tmp_path, no_tfds):
    with pytest.raises(RunError, match="data_dir '.*nowhere' is not a folder"):
        datasets.load("mnist", data_dir=str(tmp_path / "nowhere"))
    with pytest.raises(RunError, match="no mnist files under data_dir=.*expected mnist/"):
        datasets.load("mnist", data_dir=str(tmp_path))
    (_hand_made_mnist(tmp_path / "mnist") / raw_files.MNIST_FILES[2]).unlink()
    with pytest.raises(RunError, match=r"mnist files missing: .*mnist/t10k-images-idx3-ubyte\.gz \("):
        datasets.load("mnist", data_dir=str(tmp_path))
    py = tmp_path / "cifar10" / "cifar-10-batches-py"
    py.mkdir(parents=True)
    for name in raw_files.CIFAR10_PY_FILES:
        if name != "data_batch_3":
            (py / name).write_bytes(b"")
    with pytest.raises(RunError, match=r"cifar10 files missing: .*cifar-10-batches-py/data_batch_3 \("):
        datasets.load("cifar10", data_dir=str(tmp_path))
    with pytest.raises(RunError, match="data_source=raw reads the standard files of a data_dir"):
        datasets.load("mnist", source="raw")


@pytest.mark.parametrize("damage, error", [
    (lambda path: path.write_bytes(path.read_bytes()[:40]), "EOFError"),  # truncated gzip
    (lambda path: path.write_bytes(b"not gzip at all"), "BadGzipFile"),
])
def test_a_corrupt_mnist_file_is_named(tmp_path, no_tfds, damage, error):
    folder = _hand_made_mnist(tmp_path / "mnist")
    damage(folder / raw_files.MNIST_FILES[1])
    with pytest.raises(RunError, match=rf"cannot read .*train-labels-idx1-ubyte\.gz: {error}"):
        datasets.load("mnist", data_dir=str(tmp_path))


def test_a_corrupt_cifar_batch_is_named(tmp_path, no_tfds):
    py = tmp_path / "cifar-10-batches-py"
    py.mkdir()
    for i, name in enumerate(raw_files.CIFAR10_PY_FILES):
        with open(py / name, "wb") as file:
            pickle.dump({b"labels": [0, 1], b"data": _cifar_rows(2, i)}, file, protocol=2)
    (py / "test_batch").write_bytes(np.random.default_rng(0).bytes(500))
    with pytest.raises(RunError, match=r"cannot read .*cifar-10-batches-py/test_batch: "):
        datasets.load("cifar10", data_dir=str(tmp_path))
    with open(py / "test_batch", "wb") as file:  # a pickle of the wrong shape
        pickle.dump({b"labels": [0], b"data": np.zeros((1, 100), np.uint8)}, file, protocol=2)
    with pytest.raises(RunError, match=r"test_batch: data \[1, 100\] and labels \[1\] are not"):
        datasets.load("cifar10", data_dir=str(tmp_path))


def test_tfds_only_without_data_dir_or_when_asked(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(datasets, "_load_tfds", lambda *args: calls.append(args) or raw_files.read_mnist(folder))
    folder = _hand_made_mnist(tmp_path / "mnist")
    assert datasets.load("mnist", data_dir=str(tmp_path)).train_labels.tolist() == [5, 0, 4] and not calls
    datasets.load("mnist")
    datasets.load("mnist", data_dir=str(tmp_path), tfds_dir="t", source="tfds")  # data_dir: TFDS's manual_dir
    assert calls == [("mnist", None, None), ("mnist", str(tmp_path), "t")]


def test_standard_files_are_read_once_per_process_until_they_change(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    labels = np.array([3, 7], np.uint8)

    def write(label_values):
        for prefix in ("train", "t10k"):
            _write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
            _write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", label_values)

    write(labels)
    first = datasets.load("mnist", data_dir=str(tmp_path))
    assert datasets.load("mnist", data_dir=str(tmp_path)) is first  # the same arrays, not read again
    with pytest.raises(ValueError):
        first.train_labels[0] = 1  # shared by every run of the process: read-only
    write(np.array([4, 5], np.uint8))
    os.utime(folder / "train-labels-idx1-ubyte.gz", ns=(1, 1))  # a replaced file, whatever the clock
    np.testing.assert_array_equal(datasets.load("mnist", data_dir=str(tmp_path)).train_labels, [4, 5])


def test_without_a_data_dir_one_line_says_tfds_downloads_and_names_the_flag(tmp_path, monkeypatch, capsys):
    import tensorflow_datasets as tfds

    def offline(*args, **kwargs):
        raise ConnectionError("offline")

    monkeypatch.setattr(tfds, "load", offline)
    with pytest.raises(ConnectionError):
        datasets.load("mnist", data_dir=None, tfds_dir=str(tmp_path))
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "TensorFlow Datasets downloads it" in err[0] and "--data_dir=DIR" in err[0]
    with pytest.raises(ConnectionError):
        datasets.load("mnist", data_dir=SHARED_DATA, tfds_dir=str(tmp_path), source="tfds")
    assert capsys.readouterr().err == ""  # with a data_dir, TFDS prepares offline from it: no hint
