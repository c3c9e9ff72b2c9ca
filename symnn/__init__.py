"""symnn: chain-rule derivations of neural-network gradients, and NumPy code verified against them.

Examples:
    >>> import symnn
    >>> net = symnn.Network(2, [symnn.Dense(2, "sigmoid"), symnn.Dense(2, "sigmoid")])
    >>> symnn.derive(net, "W2[1,1]").results[0].rhs
    a_1_1*delta_2_1
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# Public names and where each lives ("module" or "module:attribute"). They are imported on first
# use (PEP 562), so `symnn --help` and `import symnn` do not pay for SymPy printing, SciPy or Jinja
# until asked. The notebook views (symnn.output.notebook) register the first time one is shown.
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
    "export": "symnn.codegen.export",
    "compile_matrix_gradients": "symnn.codegen.matrix",
    "program_source": "symnn.codegen.program",
    "SymnnError": "symnn.core.errors",
    "parse_expression": "symnn.core.expressions",
    "parse_point": "symnn.core.expressions",
    "Graph": "symnn.core.graph",
    "NOTATIONS": "symnn.core.notation",
    "Program": "symnn.core.program",
    "load_program": "symnn.core.program",
    "parse_program": "symnn.core.program",
    "Derivation": "symnn.core.steps",
    "Step": "symnn.core.steps",
    "derive": "symnn.engine",
    "block_jacobian": "symnn.engine.blocks",
    "explicit_jacobian": "symnn.engine.blocks",
    "jacobian": "symnn.engine.jacobian",
    "derive_matrix": "symnn.engine.matrix",
    "ProgramRun": "symnn.engine.program",
    "run_program": "symnn.engine.program",
    "LAYERS": "symnn.layers",
    "Add": "symnn.layers.add",
    "Concat": "symnn.layers.concat",
    "render_circuit": "symnn.output.circuit",
    "render_derivation": "symnn.output.document",
    "render_program": "symnn.output.program",
    "render_refresher": "symnn.output.refresher",
    "PerceptronRun": "symnn.perceptron.run",
    "gate": "symnn.perceptron.run",
    "linearly_separable": "symnn.perceptron.run",
    "train_perceptron": "symnn.perceptron.run",
    "dot_product": "symnn.perceptron.view",
    "init_printing": "symnn.printing.session",
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
    "check_function": "symnn.training.check",
    "check_gradients": "symnn.training.check",
    "TrainConfig": "symnn.training.config",
    "load_training": "symnn.training.config",
    "Dataset": "symnn.training.datasets",
    "load_dataset": "symnn.training.datasets",
    "initial_params": "symnn.training.init",
    "save_figure": "symnn.training.plots:save",
    "descent_figure": "symnn.training.plots.contour",
    "perceptron_figure": "symnn.training.plots.perceptron",
    "training_figure": "symnn.training.plots.training",
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


def __getattr__(name: str):
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'symnn' has no attribute {name!r}")
    import importlib

    module, _, attribute = target.partition(":")
    value = getattr(importlib.import_module(module), attribute or name)
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
