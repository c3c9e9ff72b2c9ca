"""``symnn examples``: list the bundled examples, print one, or copy them into a folder.

Every command that takes a SPEC also takes a bundled example's name: ``symnn derive two_two_two``;
``symnn graph`` takes a bundled program's (``symnn graph micrograd``). The example notebook is
among them (``symnn examples --copy DIR notebook.ipynb``).
"""

from __future__ import annotations

import argparse

from symnn.cli.commands.output import emit
from symnn.spec.examples import copy_examples, describe, example_files, example_path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "examples", help="list, show or copy the bundled examples", description=__doc__
    )
    p.add_argument("name", nargs="*", help="print this example (with --copy: copy only these)")
    p.add_argument("--copy", metavar="DIR", help="copy the examples into DIR (never overwrites)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.copy:
        for path in copy_examples(args.copy, args.name or None):
            print(path)
        return 0
    if args.name:
        emit("".join(example_path(name).read_text(encoding="utf-8") for name in args.name), None)
        return 0
    files = example_files()
    width = max(len(p.name) for p in files)
    lines = [f"{p.name:<{width}}  {describe(p)}" for p in files]
    lines += [
        "",
        "Use a name as a SPEC (symnn derive two_two_two) or a program (symnn graph micrograd),",
        "or copy them: --copy DIR",
    ]
    emit("\n".join(lines), None)
    return 0
