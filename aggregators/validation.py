"""Argument checks shared by every rule: one place, one message style.

Bad arguments raise ValueError naming the rule, the value and the rule it breaks, for example
"bulyan-krum needs n >= 4f+3, got n=10, f=3". Byzantine gradients are data, not errors: nothing
here looks at their values.
"""

import math
import numbers

import numpy as np
import tensorflow as tf

FLOAT_DTYPES = (tf.float32, tf.float64)


def check_f(f, rule):
    """f, the declared number of Byzantine workers, as a Python int >= 0 (static)."""
    if isinstance(f, (bool, np.bool_)) or not isinstance(f, numbers.Integral):
        raise ValueError(f"{rule} needs f as a Python int >= 0, got f={f!r}")
    if f < 0:
        raise ValueError(f"{rule} needs f >= 0, got f={f}")
    return int(f)


def check_workers(n, f, workers, rule):
    """n >= a*f + b for the rule's `workers = (a, b)`."""
    a, b = workers
    if n < a * f + b:
        raise ValueError(f"{rule} needs n >= {requirement(workers)}, got n={n}, f={f}")


def requirement(workers):
    """The text of `n >= a*f + b` without the "n >= ": "4f+3", "2f+1", "f+1"."""
    a, b = workers
    return f"{a if a != 1 else ''}f+{b}"


def as_gradients(gradients, rule):
    """The [n, d] matrix as a float32/float64 tf.Tensor with a static n and d != 0."""
    if isinstance(gradients, tf.Tensor):
        tensor = gradients
    else:
        try:
            tensor = tf.convert_to_tensor(gradients)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{rule} needs gradients as a tensor or array of shape [n, d], "
                             f"got {type(gradients).__name__}: {error}") from None
    if tensor.dtype not in FLOAT_DTYPES:
        raise ValueError(f"{rule} needs float32 or float64 gradients, got {tensor.dtype.name}")
    shape = tensor.shape
    if shape.rank != 2:
        raise ValueError(f"{rule} needs gradients of shape [n, d] (2-D), got shape {shape}")
    if shape[0] is None:
        raise ValueError(f"{rule} needs a static number of workers n, got shape {shape}")
    if shape[1] == 0:
        raise ValueError(f"{rule} needs d >= 1 coordinates, got shape {shape}")
    return tensor


def as_distances(distances, n, rule, dtype=None):
    """A precomputed [n, n] distance matrix (option `distances`), NaN read as +Inf."""
    tensor = tf.convert_to_tensor(distances)
    if dtype is not None:
        tensor = tf.cast(tensor, dtype)
    if tensor.dtype not in FLOAT_DTYPES:
        raise ValueError(f"{rule} needs float32 or float64 distances, got {tensor.dtype.name}")
    if tensor.shape.rank != 2 or tensor.shape[0] is None or tensor.shape[0] != tensor.shape[1]:
        raise ValueError(f"{rule} needs distances of static shape [n, n], got {tensor.shape}")
    if n is not None and tensor.shape[0] != n:
        raise ValueError(f"{rule} needs distances of shape [{n}, {n}] for n={n} gradients, "
                         f"got {tensor.shape}")
    return tf.where(tf.math.is_nan(tensor), tf.constant(math.inf, tensor.dtype), tensor)


def check_options(options, validators, rule):
    """Options checked by name (unknown -> ValueError) and value (each option's validator)."""
    checked = {}
    for name, value in options.items():
        if name not in validators:
            known = ", ".join(sorted(validators)) or "none"
            raise ValueError(f"{rule} has no option {name!r}; its options: {known}")
        checked[name] = validators[name](value, name, rule)
    return checked


# Option validators: (value, option name, rule name) -> the canonical value.


def norm(value, name, rule):
    """2, 1 or infinity ("inf" or math.inf), as 2, 1 or math.inf."""
    if isinstance(value, str) and value.lower() == "inf":
        return math.inf
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if value == math.inf:
            return math.inf
        if value in (1, 2):
            return int(value)
    raise ValueError(f"{rule} needs {name} in (1, 2, 'inf', math.inf), got {name}={value!r}")


def positive_int(value, name, rule):
    """A Python int >= 1."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{rule} needs {name} as an int >= 1, got {name}={value!r}")
    return int(value)


def positive_float(value, name, rule):
    """A finite real number > 0."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value <= 0):
        raise ValueError(f"{rule} needs {name} as a finite number > 0, got {name}={value!r}")
    return float(value)


def optional_positive_float(value, name, rule):
    """None or a finite real number > 0."""
    return None if value is None else positive_float(value, name, rule)


def non_negative_float(value, name, rule):
    """A finite real number >= 0."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value < 0):
        raise ValueError(f"{rule} needs {name} as a finite number >= 0, got {name}={value!r}")
    return float(value)


def optional_positive_int(value, name, rule):
    """None or a Python int >= 1."""
    return None if value is None else positive_int(value, name, rule)


def matrix(value, name, rule):
    """Any [n, n] matrix (checked against n where it is used, see `as_distances`)."""
    if value is None:
        return None
    if not isinstance(value, (tf.Tensor, tf.Variable, np.ndarray, list, tuple)):
        raise ValueError(f"{rule} needs {name} as an [n, n] tensor or array, "
                         f"got {type(value).__name__}")
    return value


def seed(value, name, rule):
    """None, an int in [0, 2**63), or an int32/int64 tensor or array of static shape [2] (a
    stateless random key, as `tf.random.stateless_uniform` takes)."""
    if value is None:
        return None
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        if not 0 <= value < 2 ** 63:
            raise ValueError(f"{rule} needs {name} in [0, 2**63), got {name}={value!r}")
        return int(value)
    if isinstance(value, (tf.Tensor, tf.Variable, np.ndarray, list, tuple)):
        tensor = tf.convert_to_tensor(value)
        if tensor.dtype in (tf.int32, tf.int64) and tensor.shape.rank == 1 and tensor.shape[0] == 2:
            return tensor
        raise ValueError(f"{rule} needs {name} as an int32 or int64 tensor of shape [2], "
                         f"got {tensor.dtype.name} of shape {tensor.shape}")
    raise ValueError(f"{rule} needs {name} as an int or an integer tensor of shape [2], "
                     f"got {type(value).__name__}")
