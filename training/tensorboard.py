"""TensorBoard scalars without the `tensorboard` package (tensorflow-cpu does not install it): the
event-file record `tf.summary.scalar` would write, a float32 tensor tagged for the "scalars" plugin."""

import tensorflow as tf
from tensorflow.core.framework import summary_pb2

_SCALAR = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))


def scalar(name, value, step):
    """Writes `value` under `name` at `step` to the default summary writer."""
    tf.summary.write(name, tf.constant(float(value), tf.float32), step=step,
                     metadata=_SCALAR.SerializeToString())
