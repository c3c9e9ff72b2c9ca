"""``symnn check SPEC``: generated gradients against finite differences (and autodiff)."""

from __future__ import annotations

import argparse

from symnn.cli.commands import SUMMARIES
from symnn.cli.commands.output import emit
from symnn.spec.specfile import load_spec
from symnn.training.check import check_gradients


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help=SUMMARIES["check"], description=__doc__)
    p.add_argument("spec", help="network spec file (TOML)")
    p.add_argument("--tolerance", type=float, default=1e-6, help="worst relative error allowed")
    p.add_argument("--seed", type=int, default=0, help="seed for parameters/data not in the spec")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    report = check_gradients(load_spec(args.spec), seed=args.seed, tolerance=args.tolerance)
    emit(report.table(), None)
    return 0 if report.passed else 1
