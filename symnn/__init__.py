"""symnn: chain-rule derivations of neural-network gradients, and NumPy code verified against them.

Examples:
    >>> import symnn
    >>> net = symnn.Network(2, [symnn.Dense(2, "sigmoid"), symnn.Dense(2, "sigmoid")])
    >>> symnn.derive(net, "W2[1,1]").results[0].rhs
    a_1_1*delta_2_1
"""

from symnn.calculus.calculus import (
    derivative,
    directional_derivative,
    gradient,
    linear_approximation,
)
from symnn.calculus.code import calculus_code, jacobian_code
from symnn.calculus.descent import Descent, gradient_descent
from symnn.calculus.taylor import hessian, jacobian_of, taylor
from symnn.codegen.element import CompiledGradients, compile_gradients
from symnn.codegen.export import export
from symnn.codegen.matrix import compile_matrix_gradients
from symnn.codegen.program import program_source
from symnn.core.errors import SymnnError
from symnn.core.expressions import parse_expression, parse_point
from symnn.core.graph import Graph
from symnn.core.notation import NOTATIONS
from symnn.core.program import Program, load_program, parse_program
from symnn.core.steps import Derivation, Step
from symnn.engine import derive
from symnn.engine.blocks import block_jacobian, explicit_jacobian
from symnn.engine.jacobian import jacobian
from symnn.engine.matrix import derive_matrix
from symnn.engine.program import ProgramRun, run_program
from symnn.layers import LAYERS
from symnn.layers.add import Add
from symnn.layers.concat import Concat
from symnn.output import notebook as _notebook  # noqa: F401  (registers the notebook views)
from symnn.output.circuit import render_circuit
from symnn.output.document import render_derivation
from symnn.output.program import render_program
from symnn.output.refresher import render_refresher
from symnn.perceptron.run import PerceptronRun, gate, linearly_separable, train_perceptron
from symnn.perceptron.view import dot_product
from symnn.printing.session import init_printing
from symnn.rules.activations import ACTIVATIONS, Activation
from symnn.rules.losses import LOSSES, Loss
from symnn.spec.build import build_graph
from symnn.spec.network import Data, Dense, Network
from symnn.spec.specfile import load_spec
from symnn.training.check import GradientReport, check_function, check_gradients
from symnn.training.config import TrainConfig, load_training
from symnn.training.datasets import Dataset, load_dataset
from symnn.training.init import initial_params
from symnn.training.plots import save as save_figure
from symnn.training.plots.contour import descent_figure
from symnn.training.plots.perceptron import perceptron_figure
from symnn.training.plots.training import training_figure
from symnn.training.train import TrainResult, accuracy, train
from symnn.training.worked_step import worked_step

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "LAYERS",
    "LOSSES",
    "NOTATIONS",
    "Activation",
    "Add",
    "CompiledGradients",
    "Concat",
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
    "Program",
    "ProgramRun",
    "Step",
    "SymnnError",
    "TrainConfig",
    "TrainResult",
    "accuracy",
    "block_jacobian",
    "build_graph",
    "calculus_code",
    "check_function",
    "check_gradients",
    "compile_gradients",
    "compile_matrix_gradients",
    "derivative",
    "derive",
    "derive_matrix",
    "descent_figure",
    "directional_derivative",
    "dot_product",
    "explicit_jacobian",
    "export",
    "gate",
    "gradient",
    "gradient_descent",
    "hessian",
    "init_printing",
    "initial_params",
    "jacobian",
    "jacobian_code",
    "jacobian_of",
    "linear_approximation",
    "linearly_separable",
    "load_dataset",
    "load_program",
    "load_spec",
    "load_training",
    "parse_expression",
    "parse_point",
    "parse_program",
    "perceptron_figure",
    "program_source",
    "render_circuit",
    "render_derivation",
    "render_program",
    "render_refresher",
    "run_program",
    "save_figure",
    "taylor",
    "train",
    "train_perceptron",
    "training_figure",
    "worked_step",
]
