"""Subcommands of the command line; each module offers ``register(subparsers)``."""

from symnn.commands import check, derive
from symnn.commands import train as train_command

COMMANDS = [derive, check]
COMMANDS.append(train_command)
