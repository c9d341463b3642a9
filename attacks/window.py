"""The attack window: when the Byzantine workers attack (paper, Figures 2 and 7: steps 0 to 50).

The training loop uses `active`; outside the window the f Byzantine workers behave honestly.
"""

import tensorflow as tf


def active(step, start=0, stop=None):
    """Whether the attack runs at `step`: start <= step < stop (stop None: it never stops).

    `step` is the number of steps done before this one (0 for the first update), a Python int
    or an integer tensor; the result is a Python bool or a bool tensor accordingly.
    Raises ValueError for start < 0 or stop < start.
    """
    if start < 0:
        raise ValueError(f"attack_start must be >= 0, got attack_start={start}")
    if stop is not None and stop < start:
        raise ValueError(f"attack_stop must be >= attack_start, got attack_start={start}, "
                         f"attack_stop={stop}")
    if isinstance(step, tf.Tensor):
        step = tf.cast(step, tf.int64)
        on = step >= start
        return on if stop is None else tf.logical_and(on, step < stop)
    return step >= start and (stop is None or step < stop)
