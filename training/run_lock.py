"""One writer per run folder: `hold(run_dir)` holds an exclusive `fcntl.flock` on `<run_dir>/lock` (the
holder's PID written in it) for the duration of a `with` block.

- Non-blocking: a second process on a folder in use gets `RunInUse` (a `RunError`) naming the folder and the
  holder's PID.
- The lock belongs to the open file, so the OS releases it when the process dies however it dies: a lock
  file left by a killed process, its PID dead, does not block.
- On leaving the block the file is deleted while still locked; a process that opened it meanwhile finds
  it is no longer the folder's lock file and opens the new one.
- A folder that `hold` creates (with its missing parents) and that holds nothing else when the block is
  left is deleted again: a run that fails before writing anything (its data do not load) leaves no folder.
- On a filesystem without flock (some network mounts) the run goes on unlocked, with a warning.
"""

import contextlib
import errno
import fcntl
import os
import time

from absl import logging

from training.errors import RunInUse

NAME = "lock"


def _missing_folders(run_dir):
    """`run_dir` and its ancestors that do not exist, deepest first."""
    missing, folder = [], os.path.abspath(run_dir)
    while not os.path.exists(folder):
        missing.append(folder)
        folder = os.path.dirname(folder)
    return missing


def _holder(descriptor):
    """The PID written in the lock file, waiting a moment for a holder that has just locked it."""
    for _ in range(20):
        text = os.pread(descriptor, 32, 0).decode(errors="replace").strip()
        if text:
            return text
        time.sleep(0.05)
    return "unknown"


def _acquire(run_dir):
    """The descriptor of the locked `<run_dir>/lock` holding this PID, None when flock is unsupported."""
    path = os.path.join(run_dir, NAME)
    while True:
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:  # the folder, just made, removed by a process that found it in use
            os.makedirs(run_dir, exist_ok=True)
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(descriptor)
            os.close(descriptor)
            raise RunInUse(f"{run_dir} is in use by process {holder}, another run of the same settings; wait for "
                           "it to end (or stop it), then rerun") from None
        except OSError as error:
            os.close(descriptor)
            if error.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                raise
            logging.warning("cannot lock %s (%s): nothing keeps two runs out of this folder", path, error.strerror)
            return None
        try:
            current = os.path.samestat(os.fstat(descriptor), os.stat(path))
        except FileNotFoundError:
            current = False
        if current:
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
            return descriptor
        os.close(descriptor)  # deleted by its holder as it ended: lock the file now at `path`


def _release(run_dir, descriptor):
    if descriptor is None:
        return
    with contextlib.suppress(FileNotFoundError):
        os.remove(os.path.join(run_dir, NAME))
    os.close(descriptor)


def _remove_empty(folders):
    for folder in folders:  # deepest first; one holding anything stays
        try:
            os.rmdir(folder)
        except OSError:
            return


@contextlib.contextmanager
def hold(run_dir):
    """Holds the lock of `run_dir` (created if missing) inside the block; `RunInUse` when another process
    holds it."""
    created = _missing_folders(run_dir)
    os.makedirs(run_dir, exist_ok=True)
    try:
        descriptor = _acquire(run_dir)
    except BaseException:
        _remove_empty(created)
        raise
    try:
        yield
    finally:
        _release(run_dir, descriptor)
        _remove_empty(created)
