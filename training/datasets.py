"""The datasets, held whole in memory: uint8 images and int32 labels, normalised in-graph.

Where the arrays come from (`load(name, data_dir, tfds_dir, source)`):
- source="auto" (the default): with a `data_dir`, its standard files only (MNIST: `mnist/*.gz`;
  CIFAR-10: `cifar10/cifar-10-batches-py/` or `-bin/`), read by `training.raw_files` (offline, about a
  second; ../shared/data has this layout). A missing or corrupt file raises `RunError` naming it: nothing
  is downloaded. Without a `data_dir`, TensorFlow Datasets.
- source="raw": the standard files; a `data_dir` is required.
- source="tfds": `tfds.load(name, data_dir=tfds_dir)` (None: TFDS's default folder), which downloads and
  prepares the dataset the first time (online), or, for MNIST, prepares it offline from
  `<data_dir>/mnist` (or `data_dir`) given as `DownloadConfig(manual_dir=...)`: the official files pass
  TFDS's checksums. The decoded arrays are then cached as `<tfds_dir>/bulyan_arrays/<name>.npz`, so the
  next load takes a second instead of ten.
Note that TFDS stores the examples in its own (shuffled) order, so the same seed samples different images
from the two sources; each is reproducible.

Normalisation (in the graph, from uint8): MNIST pixels / 255 in [0, 1]; CIFAR-10 per-channel
standardisation (pixels / 255 - mean) / std with the training set's channel mean and std.
Tests register small in-memory datasets with `register`.
"""

import dataclasses
import os
import sys

import numpy as np

from training import raw_files
from training.errors import RunError

SOURCES = ("auto", "raw", "tfds")


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """A whole dataset in memory. Images uint8 [N, H, W, C]; labels int32 [N]."""

    name: str
    model: str  # the `models` name this dataset trains
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    mean: tuple = (0.0,)  # per channel, of pixels / 255
    std: tuple = (1.0,)

    def normalise(self, images):
        """uint8 images [..., H, W, C] -> float32 (images / 255 - mean) / std."""
        import tensorflow as tf  # here: listing or checking datasets does not start TensorFlow

        scaled = tf.cast(images, tf.float32) / 255.0
        return (scaled - tf.constant(self.mean, tf.float32)) / tf.constant(self.std, tf.float32)


@dataclasses.dataclass(frozen=True)
class _Entry:
    loader: object  # (data_dir, tfds_dir, source) -> Dataset
    model: str = None  # the `models` name it trains
    train_size: int = None  # its number of training images


_REGISTRY = {}


def register(name, loader, model=None, train_size=None):
    """Registers `loader(data_dir, tfds_dir, source) -> Dataset` under `name` (tests add tiny ones).
    `model`: the `models` name it trains, which lets `training.validate` know d before loading any data;
    `train_size`: its number of training images, which lets it check the batch size."""
    _REGISTRY[name] = _Entry(loader, model, train_size)


def train_size_of(name):
    """The number of training images of dataset `name`, or None when it was registered without it."""
    return _REGISTRY[name].train_size if name in _REGISTRY else None


def model_of(name):
    """The `models` name dataset `name` trains, or None when it was registered without one."""
    return _REGISTRY[name].model if name in _REGISTRY else None


def names():
    """The dataset names, sorted."""
    return sorted(_REGISTRY)


def load(name, data_dir=None, tfds_dir=None, source="auto"):
    """The dataset `name` ('mnist', 'cifar10', or one registered), from `data_dir` or TFDS (module docstring)."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(names())}")
    if source not in SOURCES:
        raise ValueError(f"data source must be one of {', '.join(SOURCES)}, got {source!r}")
    standard_files = name in raw_files.NAMES and uses_raw_files(data_dir, source)
    if not (standard_files and data_dir and os.path.isdir(data_dir)):
        return _REGISTRY[name].loader(data_dir, tfds_dir, source)
    key = (name, os.path.realpath(data_dir), _files_signature(data_dir))
    if key not in _LOADED:  # many short runs in one process (a grid) read the files once
        _LOADED.clear()  # one dataset at a time: CIFAR-10 is 180 MB
        dataset = _REGISTRY[name].loader(data_dir, tfds_dir, source)
        for array in (dataset.train_images, dataset.train_labels, dataset.test_images, dataset.test_labels):
            array.setflags(write=False)  # shared by the runs of the process
        _LOADED[key] = dataset
    return _LOADED[key]


_LOADED = {}


def _files_signature(data_dir, depth=3):
    """(path, size, mtime) of every file under `data_dir` (a few levels deep): a changed or replaced
    file makes `load` read the files again."""
    signature = []
    for folder, subfolders, files in os.walk(data_dir):
        if folder[len(data_dir):].count(os.sep) >= depth:
            subfolders.clear()
        for file in files:
            stat = os.stat(os.path.join(folder, file))
            signature.append((os.path.join(folder, file), stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(signature))


def uses_raw_files(data_dir, source):
    """Whether 'mnist' and 'cifar10' come from the standard files in `data_dir` (else from TFDS)."""
    return source == "raw" or (source == "auto" and bool(data_dir))


def check_source(name, data_dir=None, source="auto"):
    """Raises `RunError` when dataset `name` cannot come from (`data_dir`, `source`): a `data_dir` that is
    not a folder, source="raw" without one, or, for the standard files, any of them missing. Reads nothing."""
    if data_dir and not os.path.isdir(data_dir):
        raise RunError(f"data_dir {data_dir!r} is not a folder")
    if source == "raw" and not data_dir:
        raise RunError("data_source=raw reads the standard files of a data_dir; none was given")
    if name in raw_files.NAMES and uses_raw_files(data_dir, source):
        raw_files.find_raw(name, data_dir)


def load_arrays(name, data_dir=None, tfds_dir=None, source="auto"):
    """(train_images, train_labels, test_images, test_labels) of 'mnist' or 'cifar10' (module docstring)."""
    check_source(name, data_dir, source)
    if uses_raw_files(data_dir, source):
        return raw_files.find_raw(name, data_dir)()
    return _load_tfds(name, data_dir, tfds_dir)


def _load_tfds(name, data_dir, tfds_dir):
    import tensorflow_datasets as tfds  # imported here: the raw path does not need it

    cache = os.path.join(tfds_dir or os.path.expanduser(os.path.join("~", "tensorflow_datasets")),
                         "bulyan_arrays", f"{name}.npz")
    if os.path.isfile(cache):
        with np.load(cache) as arrays:
            return tuple(arrays[key] for key in ("train_x", "train_y", "test_x", "test_y"))
    if not data_dir:  # TFDS downloads (and, offline, retries for minutes): say how to read local files
        print(f"{name}: no --data_dir, so TensorFlow Datasets downloads it (once, online); --data_dir=DIR "
              f"reads the standard files from DIR/{name}/ offline", file=sys.stderr, flush=True)
    kwargs = {}
    if data_dir:
        manual = os.path.join(data_dir, name)
        manual = manual if os.path.isdir(manual) else data_dir
        kwargs = {"download_config": tfds.download.DownloadConfig(manual_dir=manual)}
    splits = tfds.load(name, split=["train", "test"], data_dir=tfds_dir, batch_size=-1, as_supervised=True,
                       download=True, download_and_prepare_kwargs=kwargs)
    (train_x, train_y), (test_x, test_y) = tfds.as_numpy(splits)
    arrays = (train_x.astype(np.uint8), train_y.astype(np.int32), test_x.astype(np.uint8), test_y.astype(np.int32))
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    partial = cache + ".partial.npz"
    np.savez(partial, train_x=arrays[0], train_y=arrays[1], test_x=arrays[2], test_y=arrays[3])
    os.replace(partial, cache)
    return arrays


def channel_mean_std(images):
    """Per-channel mean and std of uint8 `images` [..., C] / 255, exactly, from 256-bin histograms."""
    levels = np.arange(256, dtype=np.float64) / 255.0
    channels = images.reshape(-1, images.shape[-1])
    mean, std = [], []
    for c in range(channels.shape[1]):
        counts = np.bincount(channels[:, c], minlength=256).astype(np.float64)
        m = counts @ levels / counts.sum()
        mean.append(m)
        std.append(np.sqrt(max(counts @ (levels - m) ** 2 / counts.sum(), 0.0)))
    return np.array(mean), np.array(std)


def _mnist(data_dir, tfds_dir, source):
    train_x, train_y, test_x, test_y = load_arrays("mnist", data_dir, tfds_dir, source)
    return Dataset("mnist", "mnist_mlp", train_x, train_y, test_x, test_y)


def _cifar10(data_dir, tfds_dir, source):
    train_x, train_y, test_x, test_y = load_arrays("cifar10", data_dir, tfds_dir, source)
    mean, std = channel_mean_std(train_x)
    return Dataset("cifar10", "cifar10_cnn", train_x, train_y, test_x, test_y,
                   mean=tuple(float(m) for m in mean), std=tuple(float(s) for s in std))


register("mnist", _mnist, model="mnist_mlp", train_size=60000)
register("cifar10", _cifar10, model="cifar10_cnn", train_size=50000)


def synthetic(train=512, test=256, shape=(28, 28, 1), model="mnist_mlp", seed=0, name="synthetic"):
    """A small learnable stand-in for tests and benchmarks: class c lights up stripe c of the image,
    over uniform noise. Register it with `register(name, lambda *_: synthetic(...), model=model)`."""
    rng = np.random.default_rng(seed)

    def make(count):
        labels = rng.integers(0, 10, count).astype(np.int32)
        images = rng.integers(0, 128, (count,) + tuple(shape)).astype(np.uint8)
        stripe = shape[0] // 10
        for c in range(10):
            images[labels == c, c * stripe:(c + 1) * stripe] += 127
        return images, labels

    train_x, train_y = make(train)
    test_x, test_y = make(test)
    return Dataset(name, model, train_x, train_y, test_x, test_y)
