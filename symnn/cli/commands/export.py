"""``symnn export SPEC --to numpy|jax|torch``: the network's gradient code for another engine.

numpy: a module needing NumPy alone (symnn's stable helpers copied in); jax: jax.numpy, jit-able,
``loss`` with symnn's backward pass as its custom VJP; torch: a torch.autograd.Function whose
backward is symnn's. All three are the matrix-level code that ``symnn check`` verifies.
"""

from __future__ import annotations

import argparse

from symnn.cli.commands.output import emit
from symnn.codegen.export import TARGETS, export
from symnn.spec.specfile import load_spec


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export", help="gradient code for NumPy alone, JAX or PyTorch", description=__doc__
    )
    p.add_argument("spec", help="network spec file (TOML), a bundled example's name, or - (stdin)")
    p.add_argument("--to", choices=TARGETS, default="numpy", help="target library (default numpy)")
    p.add_argument("-o", "--output", help="write to this file instead of stdout (- is stdout)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    emit(export(load_spec(args.spec), args.to), args.output)
    return 0
