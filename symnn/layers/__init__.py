"""Layer kinds, one module each; importing the package registers them all in LAYERS."""

from symnn.layers import add, attention, batchnorm, concat, dense, dropout, embedding, layernorm
from symnn.layers.base import LAYERS, NodeKind, layer

__all__ = [
    "LAYERS",
    "NodeKind",
    "add",
    "attention",
    "batchnorm",
    "concat",
    "dense",
    "dropout",
    "embedding",
    "layer",
    "layernorm",
]
