"""Readers for the datasets' standard distribution files, used whenever `--data_dir` is given (offline,
and the only way to have CIFAR-10 offline: TFDS prepares it only from its .tar.gz archive).

- MNIST: the 4 official IDX gzip files (train-images-idx3-ubyte.gz, ...), in one folder.
- CIFAR-10: the `cifar-10-batches-py` folder (pickled dicts) or `cifar-10-batches-bin` (binary records).

Every reader returns `(train_images, train_labels, test_images, test_labels)`: uint8 images
[N, H, W, C] and int32 labels [N], in the files' order. A missing file, or one that cannot be read or
parsed (truncated, not gzip, wrong format), raises `RunError` naming it; nothing falls back to a download.
The CIFAR-10 python batches are pickles: read only files from a source you trust.
"""

import gzip
import os
import pickle

import numpy as np

from training.errors import RunError

MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
CIFAR10_PY_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
CIFAR10_BIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6)) + ("test_batch.bin",)
NAMES = ("mnist", "cifar10")  # the datasets these readers know


def has_files(folder, names):
    """Whether `folder` holds every file in `names`."""
    return folder is not None and all(os.path.isfile(os.path.join(folder, name)) for name in names)


def _read(path, parse):
    """`parse(path)`, any failure re-raised as one `RunError` line naming `path`."""
    try:
        return parse(path)
    except RunError:
        raise
    except Exception as error:  # noqa: BLE001 (a corrupt file can make a parser raise almost anything)
        detail = str(error).splitlines()[0] if str(error) else ""
        raise RunError(f"cannot read {path}: {type(error).__name__}{': ' + detail if detail else ''} "
                       "(a truncated or corrupt file? replace it with the official one)") from None


def _parse_idx_gz(path):
    with gzip.open(path, "rb") as file:
        data = file.read()
    magic = int.from_bytes(data[0:4], "big")
    if len(data) < 4 or magic >> 8 != 0x08 or (magic & 0xFF) not in (1, 3):
        raise RunError(f"{path} is not an unsigned-byte IDX file (magic {magic:#x})")
    rank = magic & 0xFF
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    array = np.frombuffer(data, dtype=np.uint8, offset=min(4 + 4 * rank, len(data)))
    if array.size != int(np.prod(shape)):
        raise RunError(f"{path}: header says {shape}, file holds {array.size} bytes of data")
    return array.reshape(shape)


def read_idx_gz(path):
    """One IDX file, gzip-compressed (magic 0x801 labels, 0x803 images) -> numpy array."""
    return _read(path, _parse_idx_gz)


def _check_pair(images_path, labels_path, images, labels, rank):
    if images.ndim != rank or labels.ndim != 1 or len(images) != len(labels):
        raise RunError(f"{images_path} ({list(images.shape)}) and {labels_path} ({list(labels.shape)}) "
                       f"are not {rank - 1}-d images and their labels")


def read_mnist(folder):
    """The 4 official MNIST files in `folder` -> 60,000 + 10,000 images [N, 28, 28, 1]."""
    paths = [os.path.join(folder, name) for name in MNIST_FILES]
    train_x, train_y, test_x, test_y = (read_idx_gz(path) for path in paths)
    _check_pair(paths[0], paths[1], train_x, train_y, 3)
    _check_pair(paths[2], paths[3], test_x, test_y, 3)
    return train_x[..., None], train_y.astype(np.int32), test_x[..., None], test_y.astype(np.int32)


def _cifar_rows_to_images(rows):
    """[N, 3072] rows (R, G, B planes of 32x32, row-major) -> [N, 32, 32, 3]."""
    return np.ascontiguousarray(rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))


def _parse_cifar_py(path):
    with open(path, "rb") as file:
        batch = pickle.load(file, encoding="bytes")
    rows, labels = np.asarray(batch[b"data"], dtype=np.uint8), np.asarray(batch[b"labels"], dtype=np.int32)
    if rows.ndim != 2 or rows.shape[1] != 3072 or labels.shape != (rows.shape[0],):
        raise RunError(f"{path}: data {list(rows.shape)} and labels {list(labels.shape)} are not "
                       "[N, 3072] rows and their N labels")
    return _cifar_rows_to_images(rows), labels


def _parse_cifar_bin(path):
    records = np.fromfile(path, dtype=np.uint8)
    if records.size == 0 or records.size % 3073:
        raise RunError(f"{path}: {records.size} bytes is not a whole number of 3073-byte records")
    records = records.reshape(-1, 3073)
    return _cifar_rows_to_images(records[:, 1:]), records[:, 0].astype(np.int32)


def _read_cifar10(folder, names, parse):
    parts = [_read(os.path.join(folder, name), parse) for name in names]
    train_x = np.concatenate([images for images, _ in parts[:5]])
    train_y = np.concatenate([labels for _, labels in parts[:5]])
    return train_x, train_y, parts[5][0], parts[5][1]


def read_cifar10_py(folder):
    """`cifar-10-batches-py` (the python version's pickles) -> 50,000 + 10,000 images [N, 32, 32, 3]."""
    return _read_cifar10(folder, CIFAR10_PY_FILES, _parse_cifar_py)


def read_cifar10_bin(folder):
    """`cifar-10-batches-bin` (records of 1 label byte + 3072 pixel bytes) -> as `read_cifar10_py`."""
    return _read_cifar10(folder, CIFAR10_BIN_FILES, _parse_cifar_bin)


def _candidates(name, data_dir):
    """(folder, file names, reader) where dataset `name`'s files may be, in the order they are tried."""
    if name == "mnist":
        return [(folder, MNIST_FILES, read_mnist) for folder in (os.path.join(data_dir, "mnist"), data_dir)]
    found = []
    for base in (os.path.join(data_dir, "cifar10"), data_dir):
        found.append((os.path.join(base, "cifar-10-batches-py"), CIFAR10_PY_FILES, read_cifar10_py))
        found.append((os.path.join(base, "cifar-10-batches-bin"), CIFAR10_BIN_FILES, read_cifar10_bin))
    return found


_LAYOUT = {"mnist": "mnist/ (or the folder itself) holding " + ", ".join(MNIST_FILES),
           "cifar10": "cifar10/cifar-10-batches-py/ (data_batch_1..5, test_batch) or cifar10/cifar-10-batches-bin/"}


def find_raw(name, data_dir):
    """A reader call (nothing read yet) for dataset `name`'s files under `data_dir`.

    Looked for: MNIST in `<data_dir>/mnist/` or `<data_dir>/` itself; CIFAR-10 in
    `<data_dir>/cifar10/cifar-10-batches-{py,bin}/` or `<data_dir>/cifar-10-batches-{py,bin}/`.
    Raises `RunError` when they are not all there, naming the missing files of the most complete folder.
    """
    if name not in NAMES:
        raise RunError(f"no standard files are known for dataset {name!r}; these are: {', '.join(NAMES)}")
    if not data_dir or not os.path.isdir(data_dir):
        raise RunError(f"data_dir {data_dir!r} is not a folder")
    candidates = _candidates(name, data_dir)
    for folder, names, reader in candidates:
        if has_files(folder, names):
            return lambda: reader(folder)
    present = [(sum(os.path.isfile(os.path.join(folder, f)) for f in names), folder, names)
               for folder, names, _ in candidates]
    count, folder, names = max(present, key=lambda item: item[0])  # ties: the first tried
    if count:
        missing = [os.path.join(folder, f) for f in names if not os.path.isfile(os.path.join(folder, f))]
        raise RunError(f"{name} files missing: {', '.join(missing)} (data_dir={data_dir!r})")
    raise RunError(f"no {name} files under data_dir={data_dir!r}: expected {_LAYOUT[name]}")
