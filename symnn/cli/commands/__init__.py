"""Subcommands of the command line; each module offers ``register(subparsers)``."""

from symnn.cli.commands import calc, check, derive, gallery, graph, perceptron, train

COMMANDS = [derive, check, train, gallery]
COMMANDS += [calc, perceptron, graph]
