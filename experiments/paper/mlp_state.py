"""What state an MLP's flat parameter vector x is in (NumPy only): the quantities used to tell apart the
Figure 2 runs that recover after the attack stops from those that do not (paper, section 5.2.1).

The flat layout is the training loop's (`training.flat.flatten` of Keras' trainable variables): for each
dense layer its kernel [inputs, outputs] (row-major) then its bias [outputs]. For the MNIST model of
section 5.1, sizes = (784, 100, 10): hidden ReLU units, then 10 logits; the last coordinate of x (the
`lp` attack's default) is the output bias of class 9.
"""

import numpy as np

MNIST_MLP_SIZES = (784, 100, 10)


def layers(params, sizes=MNIST_MLP_SIZES):
    """Flat x -> [(kernel [a, b], bias [b]), ...] for consecutive `sizes` (a, b); ValueError if d differs."""
    params = np.asarray(params)
    expected = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    if params.ndim != 1 or params.size != expected:
        raise ValueError(f"an MLP with sizes {tuple(sizes)} has d={expected} parameters, got shape {params.shape}")
    out, offset = [], 0
    for a, b in zip(sizes[:-1], sizes[1:]):
        kernel = params[offset:offset + a * b].reshape(a, b)
        offset += a * b
        out.append((kernel, params[offset:offset + b]))
        offset += b
    return out


def hidden_preactivations(params, images, sizes=MNIST_MLP_SIZES):
    """[N, hidden] pre-activations of the first hidden layer for images [N, ...] (flattened, already
    normalised)."""
    (kernel, bias), *_ = layers(params, sizes)
    return np.asarray(images, np.float64).reshape(len(images), -1) @ kernel + bias


def logits(params, images, sizes=MNIST_MLP_SIZES):
    """[N, classes] logits: ReLU on every layer but the last."""
    values = np.asarray(images, np.float64).reshape(len(images), -1)
    all_layers = layers(params, sizes)
    for i, (kernel, bias) in enumerate(all_layers):
        values = values @ kernel + bias
        if i < len(all_layers) - 1:
            values = np.maximum(values, 0.0)
    return values


def dead_units(params, images, sizes=MNIST_MLP_SIZES):
    """How many first-layer ReLU units are never active (pre-activation <= 0) on any of `images`: they
    output 0 and get a zero gradient on those inputs."""
    return int(np.sum(np.all(hidden_preactivations(params, images, sizes) <= 0.0, axis=0)))


def live_units(params, images, min_fraction=0.01, sizes=MNIST_MLP_SIZES):
    """How many first-layer ReLU units are active (pre-activation > 0) on at least `min_fraction` of
    `images`: the units that still carry information (a unit active on a handful of images is nearly dead)."""
    active = np.mean(hidden_preactivations(params, images, sizes) > 0.0, axis=0)
    return int(np.sum(active >= min_fraction))


def attacked_coordinate_value(params, coordinate=-1):
    """x_j, the coordinate the `lp` attack moves (negative j counts from the end)."""
    return float(np.asarray(params)[coordinate])


def bias_gap(params, target=-1, sizes=MNIST_MLP_SIZES):
    """(b_c - mean of the other output biases, b_c - max of the other output biases) for class
    `target` (negative counts from the end): how far the attack moved class c's bias relative to the rest."""
    bias = layers(params, sizes)[-1][1]
    target %= len(bias)
    others = np.delete(bias, target)
    return float(bias[target] - others.mean()), float(bias[target] - others.max())


def predicted_fractions(class_logits):
    """[classes]: the fraction of the images predicted as each class (argmax, first on ties)."""
    class_logits = np.asarray(class_logits)
    return np.bincount(np.argmax(class_logits, axis=1), minlength=class_logits.shape[1]) / len(class_logits)


def accuracy_and_loss(class_logits, labels):
    """(accuracy, mean softmax cross-entropy) as in `training.evaluate` (no L2 term)."""
    class_logits = np.asarray(class_logits, np.float64)
    labels = np.asarray(labels)
    top = class_logits.max(axis=1, keepdims=True)
    log_norm = top[:, 0] + np.log(np.exp(class_logits - top).sum(axis=1))
    loss = log_norm - class_logits[np.arange(len(labels)), labels]
    return float(np.mean(np.argmax(class_logits, axis=1) == labels)), float(np.mean(loss))
