"""Native C++ op for Bulyan's coordinate-wise stage (issue 3). Placeholder until the op lands."""


def load():
    """The loaded op's Python function `closest_to_median_mean(picked [theta, d], beta) -> [d]`,
    or None when the op is not available (the caller then uses the pure-TF path)."""
    return None
