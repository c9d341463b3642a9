"""The paper's CIFAR-10 model (section 5.1).

conv 3x3, 16 maps, stride 1 -> max-pool 3x3 -> conv 4x4, 64 maps, stride 1 -> max-pool 4x4 -> dense 384
-> dense 192 -> 10 outputs; ReLU everywhere but the output (logits; the loss applies the softmax), Xavier
(Glorot uniform) initialisation.

The paper gives neither paddings nor pool strides, and says the model "totals 10^6 free parameters".
Our choice: 'same' padding everywhere and pool stride 2 (the convention of TensorFlow's classic
CIFAR-10 tutorial model, which this architecture follows: 3x3 pools with stride 2). Shapes: 32x32x3 ->
32x32x16 -> 16x16x16 -> 16x16x64 -> 8x8x64 = 4096 -> 384 -> 192 -> 10, so
d = 448 + 16,448 + 1,573,248 + 73,920 + 1,930 = 1,665,994 (1.7e6). The other natural choice, pool
strides equal to the pool sizes, flattens 3x3x64 = 576 values and gives only d = 314,314 (0.3e6):
`cifar10_cnn_pool_stride` (32x32x16 -> 11x11x16 -> 11x11x64 -> 3x3x64; `--model=cifar10_cnn_pool_stride`).
"""

import keras


def cifar10_cnn(input_shape=(32, 32, 3), classes=10, pool_strides=(2, 2), name="cifar10_cnn"):
    """A Keras model: images [b, 32, 32, 3] (standardised) -> logits [b, 10]. `pool_strides`: the strides
    of the 3x3 and the 4x4 max-pools (section 5.1 gives none; ours: 2 and 2)."""
    init = "glorot_uniform"
    return keras.Sequential([
        keras.Input(input_shape),
        keras.layers.Conv2D(16, 3, strides=1, padding="same", activation="relu", kernel_initializer=init),
        keras.layers.MaxPooling2D(3, strides=pool_strides[0], padding="same"),
        keras.layers.Conv2D(64, 4, strides=1, padding="same", activation="relu", kernel_initializer=init),
        keras.layers.MaxPooling2D(4, strides=pool_strides[1], padding="same"),
        keras.layers.Flatten(),
        keras.layers.Dense(384, activation="relu", kernel_initializer=init),
        keras.layers.Dense(192, activation="relu", kernel_initializer=init),
        keras.layers.Dense(classes, kernel_initializer=init),
    ], name=name)


def cifar10_cnn_pool_stride(input_shape=(32, 32, 3), classes=10):
    """The other reading of section 5.1: pool strides = pool sizes (3 and 4), d = 314,314."""
    return cifar10_cnn(input_shape, classes, pool_strides=(3, 4), name="cifar10_cnn_pool_stride")
