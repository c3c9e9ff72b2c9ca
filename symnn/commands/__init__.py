"""Subcommands of the command line; each module offers ``register(subparsers)``."""

from symnn.commands import check, derive, gallery, train

COMMANDS = [derive, check, train, gallery]
