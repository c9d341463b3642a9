"""Checks shared by every attack: the honest gradients [h, d] against the context (n, f)."""

import tensorflow as tf


def honest_matrix(attack_name, honest, context):
    """`honest` as a float tensor [h, d] with h = n - f (static); ValueError otherwise."""
    honest = tf.convert_to_tensor(honest)
    if not honest.dtype.is_floating:
        raise ValueError(f"attack {attack_name!r} needs floating-point gradients, got {honest.dtype.name}")
    if honest.shape.rank != 2 or honest.shape[0] is None or honest.shape[1] is None:
        raise ValueError(f"attack {attack_name!r} needs honest gradients of static shape [h, d], "
                         f"got shape {honest.shape}")
    if context.f < 1:
        raise ValueError(f"attack {attack_name!r} needs f >= 1 Byzantine workers, got f={context.f}")
    if honest.shape[0] != context.n - context.f or honest.shape[0] < 1:
        raise ValueError(f"attack {attack_name!r} needs h = n - f >= 1 honest gradients, got "
                         f"h={honest.shape[0]} with n={context.n}, f={context.f}")
    return honest


def replicate(vector, f):
    """[f, d]: the f Byzantine workers all submit `vector` [d]."""
    return tf.tile(vector[None, :], [f, 1])
