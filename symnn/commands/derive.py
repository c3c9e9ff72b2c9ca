"""``symnn derive SPEC``: the chain-rule derivation of the chosen gradients."""

from __future__ import annotations

import argparse

from symnn.commands.output import emit
from symnn.derive import derive
from symnn.specfile import load_spec


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("derive", help="derive gradients step by step", description=__doc__)
    p.add_argument("spec", help="network spec file (TOML)")
    p.add_argument(
        "--wrt",
        default="all",
        help="'all' (default), a layer number, 'W1', 'b2', or one entry such as 'W1[1,2]'",
    )
    p.add_argument("--expand", action="store_true", help="also write each result out in full")
    p.add_argument("-o", "--output", help="write to this file instead of stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    network = load_spec(args.spec)
    wrt = int(args.wrt) if args.wrt.isdigit() else args.wrt
    emit(str(derive(network, wrt, expand=args.expand)), args.output)
    return 0
