"""Layer kinds, one module each; importing the package registers them all in LAYERS."""

from symnn.layers import add, concat, conv, dense, dropout, embedding, flatten, gru, lstm, pool, rnn
from symnn.layers.base import LAYERS, NodeKind, layer

__all__ = [
    "LAYERS",
    "NodeKind",
    "add",
    "concat",
    "conv",
    "dense",
    "dropout",
    "embedding",
    "flatten",
    "gru",
    "layer",
    "lstm",
    "pool",
    "rnn",
]
