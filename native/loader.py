"""Loads the native Bulyan op and chooses between it and the pure-TF path.

Environment variable BULYAN_NATIVE, read at every `load()` call:
  "0"   -> never use the op (`load()` returns None: pure-TF path);
  "1"   -> the op is required: `load()` raises RuntimeError when it cannot be loaded;
  unset -> the op when it loads, else None and a single warning per process saying why.
The library is loaded once per process; the outcome (the op or the reason it failed) is cached.
"""

import numbers
import os
import threading
import warnings
from pathlib import Path

ENV_VARIABLE = "BULYAN_NATIVE"
LIBRARY = Path(__file__).resolve().with_name("_closest_to_median_mean.so")
OP_NAME = "ClosestToMedianMean"
METHODS = ("auto", "network", "quickselect")
BUILD_HINT = ("build it with `pip install --no-build-isolation --no-deps -e .` "
              "or `python -m native.build`")

_lock = threading.Lock()
_loaded = {}  # "function" -> the Python function, or "error" -> why loading failed
_warned = False


def _static_beta(beta):
    """beta as a Python int >= 1 (an attribute of the op, so it must be known when tracing)."""
    import numpy as np
    import tensorflow as tf

    if isinstance(beta, (tf.Tensor, tf.Variable)):
        static = tf.get_static_value(beta)
        if static is None or np.ndim(static) != 0:
            raise ValueError(f"the native closest_to_median_mean needs a static scalar beta, "
                             f"got {beta!r}")
        beta = static.item()
    if isinstance(beta, (bool, np.bool_)) or not isinstance(beta, numbers.Integral):
        raise ValueError(f"closest_to_median_mean needs an integer beta >= 1, got beta={beta!r}")
    beta = int(beta)
    if beta < 1:
        raise ValueError(f"closest_to_median_mean needs beta >= 1, got beta={beta}")
    return beta


def _load_library(path):
    """The op's Python function from the library at `path`; raises on any failure."""
    import tensorflow as tf

    if not path.exists():
        raise FileNotFoundError(f"the native op library {path} is not built; {BUILD_HINT}")
    library = tf.load_op_library(str(path))
    try:
        tf.no_gradient(OP_NAME)  # Bulyan's selection is not differentiated through
    except KeyError:
        pass  # already registered in this process (e.g. a second library path in tests)

    def closest_to_median_mean(picked, beta, method="auto"):
        """Per coordinate of picked [theta, d], the mean of the beta values closest to the lower
        median (NaN ordered as +Inf, ties toward the lower value): Bulyan's second step, paper
        section 4. Returns [d] in picked's dtype (float32 or float64). `method`: "auto",
        "network" or "quickselect" (the kernel's algorithm; the result is the same)."""
        if method not in METHODS:
            raise ValueError(f"closest_to_median_mean: method must be one of {METHODS}, "
                             f"got {method!r}")
        return library.closest_to_median_mean(tf.convert_to_tensor(picked),
                                              beta=_static_beta(beta), method=method)

    return closest_to_median_mean


def _cached_load():
    with _lock:
        if not _loaded:
            try:
                _loaded["function"] = _load_library(LIBRARY)
            except Exception as error:  # any failure means: use the pure-TF path
                _loaded["error"] = f"{type(error).__name__}: {error}"
        return _loaded.get("function"), _loaded.get("error")


def load():
    """The op's Python function `closest_to_median_mean(picked [theta, d], beta) -> [d]`, or None
    when the pure-TF path is to be used (see the module docstring for BULYAN_NATIVE)."""
    global _warned
    mode = os.environ.get(ENV_VARIABLE, "").strip()
    if mode not in ("", "0", "1"):
        raise ValueError(f"{ENV_VARIABLE} must be '0', '1' or unset, got {mode!r}")
    if mode == "0":
        return None
    function, error = _cached_load()
    if function is not None:
        return function
    if mode == "1":
        raise RuntimeError(f"{ENV_VARIABLE}=1 requires the native Bulyan op, which did not load: "
                           f"{error}")
    with _lock:
        if not _warned:
            _warned = True
            warnings.warn(f"native Bulyan op unavailable ({error}); using the pure-TF path. "
                          f"Set {ENV_VARIABLE}=0 to silence this.", RuntimeWarning, stacklevel=2)
    return None

