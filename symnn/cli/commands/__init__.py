"""Subcommands of the command line: ``symnn.cli.commands.<name>`` offers ``register(subparsers)``.

A command's module (and SymPy, NumPy, Jinja behind it) is imported only when that command runs:
``symnn --help`` lists the commands from the summaries here.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# Command name: its one-line summary, in the order `symnn --help` lists them.
SUMMARIES = {
    "derive": "derive gradients step by step",
    "check": "verify the generated gradients",
    "export": "gradient code for NumPy alone, JAX or PyTorch",
    "train": "train with the generated gradients",
    "gallery": "regenerate or check the derivations/ gallery",
    "calc": "calculus refresher and gradient descent",
    "perceptron": "train a perceptron step by step",
    "graph": "computational graph of a small program: values, gradients, circuit",
    "examples": "list, show or copy the bundled examples",
}


def command_module(name: str) -> ModuleType:
    """The module of command ``name`` (imported now)."""
    return importlib.import_module(f"symnn.cli.commands.{name}")
