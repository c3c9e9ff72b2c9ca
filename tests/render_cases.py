"""Networks and derivations shared by the rendering and LaTeX tests."""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from symnn.core.steps import Derivation, Section, Step
from symnn.spec.network import Data, Dense, Network
from symnn.spec.specfile import load_spec

ROOT = Path(__file__).resolve().parent.parent
TWO_TWO_TWO = ROOT / "examples" / "two_two_two.toml"
HOSTILE_NAME = r"\input{/etc/passwd} \write18{id} 100$ % # _ & ~ ^ {x} δ-Netz für ∂L/∂w"


def two_two_two() -> Network:
    return load_spec(TWO_TWO_TWO)


def softmax_net(**kw) -> Network:
    """3-4-3-3, tanh/tanh/softmax with cross-entropy, weights and one sample given."""
    layers = [
        Dense(
            4,
            "tanh",
            weights=[[0.1, -0.2, 0.3], [0.4, 0.5, -0.6], [-0.7, 0.8, 0.9], [0.2, 0.1, -0.1]],
            bias=[0.1, 0.2, 0.3, 0.4],
        ),
        Dense(
            3,
            "tanh",
            weights=[[0.3, -0.1, 0.2, 0.5], [0.1, 0.2, -0.3, 0.4], [-0.2, 0.3, 0.1, 0.2]],
            bias=[0.0, 0.1, -0.1],
        ),
        Dense(
            3,
            "softmax",
            weights=[[0.2, -0.3, 0.4], [0.1, 0.5, -0.2], [-0.4, 0.2, 0.3]],
            bias=[0.05, -0.05, 0.0],
        ),
    ]
    defaults = {
        "name": "3-4-3-3 softmax network",
        "data": Data([[1.0, 0.5, -0.5]], [[0.0, 1.0, 0.0]]),
        "learning_rate": 0.1,
    }
    return Network(3, layers, "cross_entropy", **(defaults | kw))


def matrix_derivation() -> Derivation:
    """A matrix-level derivation made of the same Section/Step objects, with no graph."""
    L = sp.Symbol("L")
    W2 = sp.MatrixSymbol("W2", 2, 3)
    d2 = sp.MatrixSymbol("delta2", 2, 1)
    a1 = sp.MatrixSymbol("a1", 3, 1)
    d1 = sp.MatrixSymbol("delta1", 3, 1)
    s1 = sp.MatrixSymbol("s1", 3, 1)
    grad = sp.Derivative(L, W2, evaluate=False)
    delta = Step(d1, sp.HadamardProduct(W2.T * d2, s1), "chain_rule")
    result = Step(grad, d2 * a1.T, "result")
    sections = (Section(d1, (delta,)), Section(grad, (Step(grad, d2 * a1.T, "chain_rule"), result)))
    return Derivation("Matrix form", sections, (result,), {"level": "matrix"})
