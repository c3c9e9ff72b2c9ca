"""Layer kinds, one module each; importing the package registers them all in LAYERS."""

from symnn.layers import (
    add,
    attention,
    batchnorm,
    concat,
    conv,
    dense,
    dropout,
    embedding,
    flatten,
    gru,
    layernorm,
    lstm,
    pool,
    rnn,
)
from symnn.layers.base import LAYERS, NodeKind, layer

__all__ = [
    "LAYERS",
    "NodeKind",
    "add",
    "attention",
    "batchnorm",
    "concat",
    "conv",
    "dense",
    "dropout",
    "embedding",
    "flatten",
    "gru",
    "layer",
    "layernorm",
    "lstm",
    "pool",
    "rnn",
]
