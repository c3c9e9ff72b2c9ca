"""The ``symnn`` command line: one subcommand per module in ``symnn.cli.commands``.

Bad input ends with a one-line message on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection, Sequence

from symnn import __version__
from symnn.cli.commands import SUMMARIES, command_module
from symnn.core.errors import SymnnError


def parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser, with the options of ``commands`` (default: all of them).

    Other commands are listed by name and summary only, so their modules are not imported.
    """
    top = argparse.ArgumentParser(
        prog="symnn",
        description="Chain-rule derivations of neural-network gradients, and verified NumPy code.",
    )
    top.add_argument("--version", action="version", version=f"symnn {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, summary in SUMMARIES.items():
        if commands is None or name in commands:
            command_module(name).register(sub)
        else:
            sub.add_parser(name, help=summary)
    return top


def _command(argv: Sequence[str]) -> list[str]:
    """The command named in ``argv`` (the first word; the top level has no valued options)."""
    words = [word for word in argv if not word.startswith("-")]
    return words[:1]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser(_command(argv)).parse_args(argv)
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
