"""``symnn gallery``: regenerate ``derivations/``; with ``--check``, compare and never write."""

from __future__ import annotations

import argparse
import sys

from symnn.cli.commands import SUMMARIES
from symnn.gallery.write import check_gallery, write_gallery


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gallery", help=SUMMARIES["gallery"], description=__doc__)
    p.add_argument("--dir", default="derivations", help="gallery folder (default: derivations)")
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff if the folder differs from what the code produces",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.check:
        diff = check_gallery(args.dir)
        if diff:
            sys.stdout.write(diff)
            print(f"{args.dir}/ is out of date: run `symnn gallery` and commit it", file=sys.stderr)
            return 1
        print(f"{args.dir}/ matches the code")
        return 0
    changed = write_gallery(args.dir)
    print(f"{args.dir}/: {len(changed)} files changed")
    return 0
