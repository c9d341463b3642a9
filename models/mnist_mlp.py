"""The paper's MNIST model (section 5.1): 784 inputs, one hidden layer of 100 ReLU units, 10 outputs.

d = 784*100 + 100 + 100*10 + 10 = 79,510 parameters ("d ~ 8e4" in the paper). Xavier (Glorot uniform)
initialisation; the output layer gives logits, the loss applies the softmax.
"""

import keras


def mnist_mlp(input_shape=(28, 28, 1), classes=10, hidden=100):
    """A Keras model: images [b, 28, 28, 1] in [0, 1] -> logits [b, 10]."""
    return keras.Sequential([
        keras.Input(input_shape),
        keras.layers.Flatten(),
        keras.layers.Dense(hidden, activation="relu", kernel_initializer="glorot_uniform"),
        keras.layers.Dense(classes, kernel_initializer="glorot_uniform"),
    ], name="mnist_mlp")
