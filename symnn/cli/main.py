"""The ``symnn`` command line: one subcommand per module in ``symnn.cli.commands``.

Bad input ends with a one-line message on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from symnn import __version__
from symnn.cli.commands import COMMANDS
from symnn.core.errors import SymnnError


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="symnn",
        description="Chain-rule derivations of neural-network gradients, and verified NumPy code.",
    )
    top.add_argument("--version", action="version", version=f"symnn {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except SymnnError as error:
        print(f"symnn: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `symnn derive … | head`
        return 0
    except KeyboardInterrupt:  # Ctrl-C outside training (which keeps its partial result)
        print("symnn: interrupted", file=sys.stderr)
        return 130
    except OSError as error:  # an output path that is a folder, a missing folder, a full disk
        where = f"{error.filename}: " if error.filename else ""
        print(f"symnn: error: {where}{error.strerror or error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
