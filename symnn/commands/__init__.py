"""Subcommands of the command line; each module offers ``register(subparsers)``."""

from symnn.commands import calc, check, derive, perceptron

COMMANDS = [derive, check]
COMMANDS += [calc, perceptron]
