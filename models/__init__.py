"""The paper's two models (section 5.1) and their loss; `models.get(name)()` builds one.

Every model maps normalised images to 10 logits (no softmax: the loss applies it).
"""

import functools
import math

from models.cifar10_cnn import cifar10_cnn
from models.loss import loss_fn, softmax_cross_entropy
from models.mnist_mlp import mnist_mlp

_MODELS = {"mnist_mlp": mnist_mlp, "cifar10_cnn": cifar10_cnn}
FOR_DATASET = {"mnist": "mnist_mlp", "cifar10": "cifar10_cnn"}


def names():
    """The model names, sorted."""
    return sorted(_MODELS)


def get(name):
    """The model builder registered under `name`; ValueError listing the known names otherwise."""
    try:
        return _MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(names())}") from None


@functools.lru_cache(maxsize=None)
def parameter_count(name):
    """d, the number of trainable parameters of model `name` (builds the Keras model once: ~0.1 s)."""
    return sum(math.prod(variable.shape) for variable in get(name)().trainable_variables)


__all__ = ["FOR_DATASET", "cifar10_cnn", "get", "loss_fn", "mnist_mlp", "names", "parameter_count",
           "softmax_cross_entropy"]
