"""``symnn check SPEC``: generated gradients against finite differences (and autodiff)."""

from __future__ import annotations

import argparse

from symnn.cli.commands.output import emit
from symnn.spec.specfile import load_spec
from symnn.training.check import check_gradients


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="verify the generated gradients", description=__doc__)
    p.add_argument("spec", help="network spec file (TOML)")
    p.add_argument("--tolerance", type=float, default=1e-6, help="worst relative error allowed")
    p.add_argument("--seed", type=int, default=0, help="seed for parameters/data not in the spec")
    p.add_argument(
        "--level",
        choices=("element", "matrix"),
        default="element",
        help="which generated code to check: element (per unit, default) or matrix (vectorised)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    network = load_spec(args.spec)
    report = check_gradients(network, seed=args.seed, tolerance=args.tolerance, level=args.level)
    emit(report.table(), None)
    return 0 if report.passed else 1
