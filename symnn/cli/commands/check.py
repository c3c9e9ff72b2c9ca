"""``symnn check SPEC``: generated gradients against finite differences (and autodiff)."""

from __future__ import annotations

import argparse
import json

from symnn.cli.commands import SUMMARIES
from symnn.cli.commands.output import emit
from symnn.core.errors import SymnnError
from symnn.spec.specfile import load_spec
from symnn.training.check import check_gradients


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help=SUMMARIES["check"], description=__doc__)
    p.add_argument("spec", help="network spec file (TOML), a bundled example's name, or - (stdin)")
    p.add_argument("--tolerance", type=float, default=1e-6, help="worst relative error allowed")
    p.add_argument("--seed", type=int, default=0, help="seed for parameters/data not in the spec")
    p.add_argument(
        "--level",
        choices=("element", "matrix"),
        default="element",
        help="which generated code to check: element (per unit, default) or matrix (vectorised)",
    )
    p.add_argument(
        "--no-autodiff",
        action="store_true",
        help="skip the autodiff column (autograd) even if installed",
    )
    p.add_argument(
        "--digits",
        type=int,
        help="significant digits of the table's numbers (default: 3 for the errors, 10 for a "
        "disagreeing entry, 12 for the loss)",
    )
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument("-o", "--output", help="write to this file instead of stdout (- is stdout)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    report = check_gradients(
        load_spec(args.spec),
        seed=args.seed,
        tolerance=args.tolerance,
        autodiff=not args.no_autodiff,
        level=args.level,
    )
    if args.digits is not None and not 1 <= args.digits <= 15:
        raise SymnnError(f"--digits: expected a whole number from 1 to 15, found {args.digits}")
    text = json.dumps(report.to_json(), indent=2) if args.json else report.table(args.digits)
    emit(text, args.output)
    return 0 if report.passed else 1
