"""Layer kinds, one module each; importing the package registers them all in LAYERS."""

from symnn.layers import add, concat, dense, dropout, embedding
from symnn.layers.base import LAYERS, NodeKind, layer

__all__ = ["LAYERS", "NodeKind", "add", "concat", "dense", "dropout", "embedding", "layer"]
