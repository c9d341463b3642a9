"""Readers for the datasets' standard distribution files, used when TFDS cannot be (no network, or
CIFAR-10 offline, which TFDS only prepares from its .tar.gz archive).

- MNIST: the 4 official IDX gzip files (train-images-idx3-ubyte.gz, ...), in one folder.
- CIFAR-10: the `cifar-10-batches-py` folder (pickled dicts) or `cifar-10-batches-bin` (binary records).

Every reader returns `(train_images, train_labels, test_images, test_labels)`: uint8 images
[N, H, W, C] and int32 labels [N], in the files' order.
"""

import gzip
import os
import pickle

import numpy as np

MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
CIFAR10_PY_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
CIFAR10_BIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6)) + ("test_batch.bin",)


def has_files(folder, names):
    """Whether `folder` holds every file in `names`."""
    return folder is not None and all(os.path.isfile(os.path.join(folder, name)) for name in names)


def read_idx_gz(path):
    """One IDX file, gzip-compressed (magic 0x801 labels, 0x803 images) -> numpy array."""
    with gzip.open(path, "rb") as file:
        data = file.read()
    magic = int.from_bytes(data[0:4], "big")
    if magic >> 8 != 0x08 or (magic & 0xFF) not in (1, 3):
        raise ValueError(f"{path} is not an unsigned-byte IDX file (magic {magic:#x})")
    rank = magic & 0xFF
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank)
    if array.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says {shape}, file holds {array.size} bytes of data")
    return array.reshape(shape)


def read_mnist(folder):
    """The 4 official MNIST files in `folder` -> 60,000 + 10,000 images [N, 28, 28, 1]."""
    train_x, train_y, test_x, test_y = (read_idx_gz(os.path.join(folder, name)) for name in MNIST_FILES)
    return train_x[..., None], train_y.astype(np.int32), test_x[..., None], test_y.astype(np.int32)


def _cifar_rows_to_images(rows):
    """[N, 3072] rows (R, G, B planes of 32x32, row-major) -> [N, 32, 32, 3]."""
    return np.ascontiguousarray(rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))


def read_cifar10_py(folder):
    """`cifar-10-batches-py` (the python version's pickles) -> 50,000 + 10,000 images [N, 32, 32, 3]."""
    parts = []
    for name in CIFAR10_PY_FILES:
        with open(os.path.join(folder, name), "rb") as file:
            batch = pickle.load(file, encoding="bytes")
        images = _cifar_rows_to_images(np.asarray(batch[b"data"], dtype=np.uint8))
        parts.append((images, np.asarray(batch[b"labels"], dtype=np.int32)))
    train_x = np.concatenate([images for images, _ in parts[:5]])
    train_y = np.concatenate([labels for _, labels in parts[:5]])
    return train_x, train_y, parts[5][0], parts[5][1]


def read_cifar10_bin(folder):
    """`cifar-10-batches-bin` (records of 1 label byte + 3072 pixel bytes) -> as `read_cifar10_py`."""
    parts = []
    for name in CIFAR10_BIN_FILES:
        records = np.fromfile(os.path.join(folder, name), dtype=np.uint8).reshape(-1, 3073)
        parts.append((_cifar_rows_to_images(records[:, 1:]), records[:, 0].astype(np.int32)))
    train_x = np.concatenate([images for images, _ in parts[:5]])
    train_y = np.concatenate([labels for _, labels in parts[:5]])
    return train_x, train_y, parts[5][0], parts[5][1]


def find_raw(name, data_dir):
    """A reader call for dataset `name` under `data_dir`, or None when the standard files are absent.

    Looked for: MNIST in `<data_dir>/mnist/` or `<data_dir>/` itself; CIFAR-10 in
    `<data_dir>/cifar10/cifar-10-batches-{py,bin}/` or `<data_dir>/cifar-10-batches-{py,bin}/`.
    """
    if not data_dir:
        return None
    if name == "mnist":
        for folder in (os.path.join(data_dir, "mnist"), data_dir):
            if has_files(folder, MNIST_FILES):
                return lambda: read_mnist(folder)
    if name == "cifar10":
        for base in (os.path.join(data_dir, "cifar10"), data_dir):
            py, binary = os.path.join(base, "cifar-10-batches-py"), os.path.join(base, "cifar-10-batches-bin")
            if has_files(py, CIFAR10_PY_FILES):
                return lambda: read_cifar10_py(py)
            if has_files(binary, CIFAR10_BIN_FILES):
                return lambda: read_cifar10_bin(binary)
    return None
