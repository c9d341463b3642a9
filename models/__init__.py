"""The paper's two models (section 5.1) and their loss; `models.get(name)()` builds one.

`cifar10_cnn_pool_stride` is the CIFAR-10 model's other reading (pool stride = pool size, `models.cifar10_cnn`),
trained with `RunConfig(model=...)`.

Every model maps normalised images to 10 logits (no softmax: the loss applies it).
`with_precision(model, "mixed_bfloat16")` is a copy computing in bfloat16 on float32 parameters.
"""

import functools
import math

import keras

from models.cifar10_cnn import cifar10_cnn, cifar10_cnn_pool_stride
from models.loss import loss_fn, softmax_cross_entropy
from models.mnist_mlp import mnist_mlp

_MODELS = {"mnist_mlp": mnist_mlp, "cifar10_cnn": cifar10_cnn, "cifar10_cnn_pool_stride": cifar10_cnn_pool_stride}
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


@functools.lru_cache(maxsize=None)
def input_shape(name):
    """The image shape (H, W, C) model `name` takes (builds the Keras model once)."""
    return tuple(int(size) for size in get(name)().input_shape[1:])


def with_precision(model, precision):
    """`model` itself for "float32"; for a Keras mixed precision policy ("mixed_bfloat16", see
    `keras.DTypePolicy` and https://keras.io/api/mixed_precision/), a second instance of the same
    architecture whose every layer carries that policy: its variables stay float32 and each layer casts
    its inputs and (also inside `stateless_call`) its parameters to bfloat16, so the forward pass, and
    the backward pass through it, compute in bfloat16 while the gradients w.r.t. the float32 parameter
    values come out float32. Its logits are bfloat16: cast them to float32 before the loss
    (`training.gradients`). It is called with the first model's parameter values (`stateless_call`); its
    own variables hold its fresh initialisation and are never read.
    Speed: bfloat16 pays where the hardware has it: CPUs with AVX512_BF16 or AMX (through oneDNN; elsewhere
    it may be slower than float32) and GPUs with bf16 tensor cores (NVIDIA Ampere or newer), where the same
    policy runs the matrix products and convolutions on them; the GPU path is untested (no GPU here)."""
    if precision == "float32":
        return model
    policy = keras.DTypePolicy(precision)

    def with_policy(layer):
        return layer.__class__.from_config({**layer.get_config(), "dtype": policy})

    return keras.models.clone_model(model, clone_function=with_policy)


__all__ = ["FOR_DATASET", "cifar10_cnn", "cifar10_cnn_pool_stride", "get", "input_shape", "loss_fn", "mnist_mlp",
           "names", "parameter_count", "softmax_cross_entropy", "with_precision"]
