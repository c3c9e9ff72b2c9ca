"""symnn: chain-rule derivations of neural-network gradients, and NumPy code verified against them.

Examples:
    >>> import symnn
    >>> net = symnn.Network(2, [symnn.Dense(2, "sigmoid"), symnn.Dense(2, "sigmoid")])
    >>> symnn.derive(net, "W2[1,1]").results[0].rhs
    a_1_1*delta_2_1
"""

from symnn.activations import ACTIVATIONS, Activation
from symnn.calculus_code import calculus_code, jacobian_code
from symnn.check import GradientReport, check_gradients
from symnn.codegen import CompiledGradients, compile_gradients
from symnn.derive import derive, jacobian
from symnn.derive.calculus import (
    derivative,
    directional_derivative,
    gradient,
    linear_approximation,
)
from symnn.derive.taylor import hessian, jacobian_of, taylor
from symnn.descent import Descent, gradient_descent
from symnn.document import render_derivation
from symnn.errors import SymnnError
from symnn.expressions import parse_expression, parse_point
from symnn.graph import Graph, build_graph
from symnn.losses import LOSSES, Loss
from symnn.network import Data, Dense, Network
from symnn.notation import NOTATIONS
from symnn.perceptron import PerceptronRun, gate, linearly_separable, train_perceptron
from symnn.perceptron_view import dot_product
from symnn.refresher_docs import render_refresher
from symnn.specfile import load_spec
from symnn.steps import Derivation, Step

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "NOTATIONS",
    "Activation",
    "CompiledGradients",
    "Data",
    "Dense",
    "Derivation",
    "GradientReport",
    "Graph",
    "Loss",
    "Network",
    "Step",
    "SymnnError",
    "build_graph",
    "check_gradients",
    "compile_gradients",
    "derive",
    "jacobian",
    "load_spec",
    "render_derivation",
]
# The calculus refresher, gradient descent and the perceptron (issue 5).
__all__ += [
    "Descent",
    "PerceptronRun",
    "calculus_code",
    "derivative",
    "directional_derivative",
    "dot_product",
    "gate",
    "gradient",
    "gradient_descent",
    "hessian",
    "jacobian_code",
    "jacobian_of",
    "linear_approximation",
    "linearly_separable",
    "parse_expression",
    "parse_point",
    "render_refresher",
    "taylor",
    "train_perceptron",
]

# Training (issue 6): optimisers, datasets, worked steps.
from symnn.datasets import Dataset, load_dataset  # noqa: E402
from symnn.init import initial_params  # noqa: E402
from symnn.specfile import load_training  # noqa: E402
from symnn.train import TrainResult, accuracy, train  # noqa: E402
from symnn.train_config import TrainConfig  # noqa: E402
from symnn.training_step import worked_step  # noqa: E402

__all__ += [
    "Dataset",
    "TrainConfig",
    "TrainResult",
    "accuracy",
    "initial_params",
    "load_dataset",
    "load_training",
    "train",
    "worked_step",
]

# Matrix level (issue 3): derivation, Jacobians of layer blocks, vectorised generated code.
from symnn.codegen_matrix import compile_matrix_gradients  # noqa: E402
from symnn.derive.jacobian import block_jacobian, explicit_jacobian  # noqa: E402
from symnn.derive.matrix import derive_matrix  # noqa: E402

__all__ += ["block_jacobian", "compile_matrix_gradients", "derive_matrix", "explicit_jacobian"]
