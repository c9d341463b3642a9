"""Native C++ TensorFlow op for Bulyan's coordinate-wise stage (paper, section 4).

`native.load()` returns `closest_to_median_mean(picked [theta, d], beta) -> [d]` backed by the
op, or None when the pure-TF path is to be used; BULYAN_NATIVE=0/1 forces either path (see
native/loader.py). Build the library with `pip install --no-build-isolation --no-deps -e .` or
`python -m native.build`.
"""

from native.loader import load

__all__ = ["load"]
