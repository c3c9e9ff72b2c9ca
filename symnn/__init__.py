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
from symnn.codegen_matrix import compile_matrix_gradients
from symnn.datasets import Dataset, load_dataset
from symnn.derive import derive, jacobian
from symnn.derive.calculus import (
    derivative,
    directional_derivative,
    gradient,
    linear_approximation,
)
from symnn.derive.jacobian import block_jacobian, explicit_jacobian
from symnn.derive.matrix import derive_matrix
from symnn.derive.taylor import hessian, jacobian_of, taylor
from symnn.descent import Descent, gradient_descent
from symnn.document import render_derivation
from symnn.errors import SymnnError
from symnn.expressions import parse_expression, parse_point
from symnn.graph import Graph, build_graph
from symnn.init import initial_params
from symnn.losses import LOSSES, Loss
from symnn.network import Data, Dense, Network
from symnn.notation import NOTATIONS
from symnn.perceptron import PerceptronRun, gate, linearly_separable, train_perceptron
from symnn.perceptron_view import dot_product
from symnn.refresher_docs import render_refresher
from symnn.specfile import load_spec, load_training
from symnn.steps import Derivation, Step
from symnn.train import TrainResult, accuracy, train
from symnn.train_config import TrainConfig
from symnn.training_step import worked_step

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "NOTATIONS",
    "Activation",
    "CompiledGradients",
    "Data",
    "Dataset",
    "Dense",
    "Derivation",
    "Descent",
    "GradientReport",
    "Graph",
    "Loss",
    "Network",
    "PerceptronRun",
    "Step",
    "SymnnError",
    "TrainConfig",
    "TrainResult",
    "accuracy",
    "block_jacobian",
    "build_graph",
    "calculus_code",
    "check_gradients",
    "compile_gradients",
    "compile_matrix_gradients",
    "derivative",
    "derive",
    "derive_matrix",
    "directional_derivative",
    "dot_product",
    "explicit_jacobian",
    "gate",
    "gradient",
    "gradient_descent",
    "hessian",
    "initial_params",
    "jacobian",
    "jacobian_code",
    "jacobian_of",
    "linear_approximation",
    "linearly_separable",
    "load_dataset",
    "load_spec",
    "load_training",
    "parse_expression",
    "parse_point",
    "render_derivation",
    "render_refresher",
    "taylor",
    "train",
    "train_perceptron",
    "worked_step",
]
