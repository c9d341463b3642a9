"""Rules and chains give the same output in a plain TF1-style graph as eagerly: their masks are
elementwise ops (tf.equal), not Python comparisons of tensors, which outside tf.function compare
identities (Krum then picked row 0)."""

import numpy as np
import pytest
import tensorflow as tf

import aggregators


@pytest.mark.parametrize("chain", ["krum", "geomed", "bulyan-krum", "nnm+krum", "bucketing+median",
                                   "arc+nnm+trimmed-mean"])
def test_chain_in_a_graph_equals_eager(chain):
    rows = np.random.default_rng(0).standard_normal((11, 5)).astype(np.float32)
    eager = aggregators.aggregate(chain, rows, 2).numpy()
    graph = tf.Graph()
    with graph.as_default():
        out = aggregators.aggregate(chain, tf.constant(rows), 2)
    with tf.compat.v1.Session(graph=graph) as session:
        np.testing.assert_allclose(session.run(out), eager, rtol=1e-6, atol=1e-7)
