"""Subcommands of the command line; each module offers ``register(subparsers)``."""

from symnn.cli.commands import (
    calc,
    check,
    derive,
    examples,
    export,
    gallery,
    graph,
    perceptron,
    train,
)

COMMANDS = [derive, check, export, train, gallery]
COMMANDS += [calc, perceptron, graph, examples]
