"""symnn: chain-rule derivations of neural-network gradients, and NumPy code verified against them.

Examples:
    >>> import symnn
    >>> net = symnn.Network(2, [symnn.Dense(2, "sigmoid"), symnn.Dense(2, "sigmoid")])
    >>> symnn.derive(net, "W2[1,1]").results[0].rhs
    a_1_1*delta_2_1
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# Public names and the module each lives in. They are imported on first use (PEP 562), so
# `symnn --help` and `import symnn` do not pay for SymPy printing, SciPy or Jinja until asked.
# The notebook views (symnn.output.notebook) register themselves the first time one is shown.
_EXPORTS = {
    "derivative": "symnn.calculus.calculus",
    "directional_derivative": "symnn.calculus.calculus",
    "gradient": "symnn.calculus.calculus",
    "linear_approximation": "symnn.calculus.calculus",
    "calculus_code": "symnn.calculus.code",
    "jacobian_code": "symnn.calculus.code",
    "Descent": "symnn.calculus.descent",
    "gradient_descent": "symnn.calculus.descent",
    "hessian": "symnn.calculus.taylor",
    "jacobian_of": "symnn.calculus.taylor",
    "taylor": "symnn.calculus.taylor",
    "CompiledGradients": "symnn.codegen.element",
    "compile_gradients": "symnn.codegen.element",
    "compile_matrix_gradients": "symnn.codegen.matrix",
    "SymnnError": "symnn.core.errors",
    "parse_expression": "symnn.core.expressions",
    "parse_point": "symnn.core.expressions",
    "Graph": "symnn.core.graph",
    "NOTATIONS": "symnn.core.notation",
    "Derivation": "symnn.core.steps",
    "Step": "symnn.core.steps",
    "derive": "symnn.engine",
    "block_jacobian": "symnn.engine.blocks",
    "explicit_jacobian": "symnn.engine.blocks",
    "jacobian": "symnn.engine.jacobian",
    "derive_matrix": "symnn.engine.matrix",
    "LAYERS": "symnn.layers",
    "Add": "symnn.layers.add",
    "Concat": "symnn.layers.concat",
    "render_derivation": "symnn.output.document",
    "render_refresher": "symnn.output.refresher",
    "PerceptronRun": "symnn.perceptron.run",
    "gate": "symnn.perceptron.run",
    "linearly_separable": "symnn.perceptron.run",
    "train_perceptron": "symnn.perceptron.run",
    "dot_product": "symnn.perceptron.view",
    "ACTIVATIONS": "symnn.rules.activations",
    "Activation": "symnn.rules.activations",
    "LOSSES": "symnn.rules.losses",
    "Loss": "symnn.rules.losses",
    "build_graph": "symnn.spec.build",
    "Data": "symnn.spec.network",
    "Dense": "symnn.spec.network",
    "Network": "symnn.spec.network",
    "load_spec": "symnn.spec.specfile",
    "GradientReport": "symnn.training.check",
    "check_gradients": "symnn.training.check",
    "TrainConfig": "symnn.training.config",
    "load_training": "symnn.training.config",
    "Dataset": "symnn.training.datasets",
    "load_dataset": "symnn.training.datasets",
    "initial_params": "symnn.training.init",
    "TrainResult": "symnn.training.train",
    "accuracy": "symnn.training.train",
    "train": "symnn.training.train",
    "worked_step": "symnn.training.worked_step",
}

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


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'symnn' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # static checkers and IDEs see the eager imports
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
    from symnn.codegen.matrix import compile_matrix_gradients
    from symnn.core.errors import SymnnError
    from symnn.core.expressions import parse_expression, parse_point
    from symnn.core.graph import Graph
    from symnn.core.notation import NOTATIONS
    from symnn.core.steps import Derivation, Step
    from symnn.engine import derive
    from symnn.engine.blocks import block_jacobian, explicit_jacobian
    from symnn.engine.jacobian import jacobian
    from symnn.engine.matrix import derive_matrix
    from symnn.layers import LAYERS
    from symnn.layers.add import Add
    from symnn.layers.concat import Concat
    from symnn.output.document import render_derivation
    from symnn.output.refresher import render_refresher
    from symnn.perceptron.run import PerceptronRun, gate, linearly_separable, train_perceptron
    from symnn.perceptron.view import dot_product
    from symnn.rules.activations import ACTIVATIONS, Activation
    from symnn.rules.losses import LOSSES, Loss
    from symnn.spec.build import build_graph
    from symnn.spec.network import Data, Dense, Network
    from symnn.spec.specfile import load_spec
    from symnn.training.check import GradientReport, check_gradients
    from symnn.training.config import TrainConfig, load_training
    from symnn.training.datasets import Dataset, load_dataset
    from symnn.training.init import initial_params
    from symnn.training.train import TrainResult, accuracy, train
    from symnn.training.worked_step import worked_step
