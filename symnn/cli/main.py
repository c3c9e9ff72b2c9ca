"""The ``symnn`` command line: one subcommand per module in ``symnn.cli.commands``.

Bad input ends with a one-line message on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import NoReturn

from symnn import __version__
from symnn.cli.commands import SUMMARIES, command_module
from symnn.core.errors import SymnnError

INT_DIGITS = 50_000


def printable(text: str) -> str:
    """``text`` with control, format and unpaired-surrogate characters escaped (``\\n``,
    ``\\x00``, ``\\udc2d``): an error message echoing a user's argument stays one clean line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


class Parser(argparse.ArgumentParser):
    """argparse, whose usage errors echo the offending arguments printably (on one line)."""

    def error(self, message: str) -> NoReturn:
        super().error(printable(message))


def parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser, with the options of ``commands`` (default: all of them).

    Other commands are listed by name and summary only, so their modules are not imported.
    """
    top = Parser(
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
    # Exact numbers are bounded (about 10,000 digits, see "Limits and safety"); a sum of their
    # squares may pass Python's 4,300-digit limit on printing an int, yet prints in milliseconds.
    if sys.get_int_max_str_digits() and sys.get_int_max_str_digits() < INT_DIGITS:
        sys.set_int_max_str_digits(INT_DIGITS)
    with _terminate_cleanly():
        try:
            return args.run(args)
        except SymnnError as error:
            print(f"symnn: error: {error}", file=sys.stderr)
            return 2
        except BrokenPipeError:  # e.g. `symnn derive … | head`
            return 0
        except OSError as error:  # an output path that is a folder, a missing folder, a full disk
            where = f"{error.filename}: " if error.filename else ""
            print(f"symnn: error: {where}{error.strerror or error}", file=sys.stderr)
            return 2
        except RecursionError:  # a last line of defence; inputs are bounded before this
            print("symnn: error: input nested too deeply to process", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("symnn: interrupted; no file was left half-written", file=sys.stderr)
            return 130


@contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """SIGTERM (``kill``, a CI timeout) unwinds like Ctrl-C, so temporary files are removed."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
