"""``symnn train SPEC``: train the network with its own generated gradients.

Settings come from the spec's [train] table, overridden by the options given here. Data come from
--data (a bundled dataset or a CSV file) or else from the spec's [data] table. Ctrl-C stops the run
cleanly: the steps done so far are reported (exit status 130). --json prints one
JSON object {"loss": [...], "params": {...}} (plus "accuracy" for class labels), where loss holds
the loss before the first update and after each update and params are the final parameters.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from symnn.cli.commands import SUMMARIES
from symnn.cli.commands.output import emit, json_text
from symnn.core.errors import SymnnError
from symnn.output.layout import PAPERS
from symnn.spec.network import Network
from symnn.spec.specfile import load_spec
from symnn.training.config import load_training
from symnn.training.datasets import DATASETS, load_dataset
from symnn.training.init import SCHEMES
from symnn.training.optimizers import OPTIMIZERS
from symnn.training.train import TrainResult, train


def _columns(text: str | None) -> list[str] | None:
    return None if text is None else [c.strip() for c in text.split(",") if c.strip()]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help=SUMMARIES["train"], description=__doc__)
    p.add_argument("spec", help="network spec file (TOML), a bundled example's name, or - (stdin)")
    p.add_argument(
        "--data",
        help=f"a bundled dataset ({', '.join(DATASETS)}) or a CSV file (default: spec's [data])",
    )
    p.add_argument("--steps", type=int, help="number of parameter updates")
    p.add_argument("--lr", type=float, help="learning rate")
    p.add_argument("--batch", type=int, help="mini-batch size (sgd, momentum)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, help="update rule (default gd)")
    p.add_argument("--momentum", type=float, help="momentum coefficient mu (default 0.9)")
    p.add_argument("--seed", type=int, help="seed for initialisation, shuffling and generators")
    p.add_argument("--init", choices=SCHEMES, help="initialisation (default auto)")
    p.add_argument("--freeze", help="parameters to keep fixed, comma-separated (e.g. W1,b1)")
    p.add_argument("--gradient", default="element", choices=("element", "matrix"))
    data = p.add_argument_group("data options")
    data.add_argument("--samples", type=int, help="number of points for a generated dataset")
    data.add_argument("--noise", type=float, help="noise of a generated dataset")
    data.add_argument("--standardize", action="store_true", help="scale features to mean 0, sd 1")
    data.add_argument("--x-columns", help="CSV input columns: names or 0-based indices, a,b,c")
    data.add_argument("--y-columns", help="CSV target columns (default: the last column)")
    data.add_argument("--one-hot", action="store_true", help="CSV targets are class labels")
    out = p.add_argument_group("output")
    out.add_argument("--plot", help="save the loss curve (and decision regions) to FILE")
    out.add_argument("--worked-step", help="write one worked training step to FILE (.tex or .md)")
    out.add_argument(
        "--paper", choices=PAPERS, default="a4", help="paper of the worked step's .tex (default a4)"
    )
    out.add_argument(
        "--digits",
        type=int,
        default=9,
        help="significant digits of the worked step's numbers (default 9)",
    )
    out.add_argument(
        "--figures",
        choices=("none", "inline", "separate"),
        help="the worked step's figures, the network with the step's numbers and the loss curve "
        "(TikZ): inline (the default for .tex; in .md SVG images inside the file), separate "
        "(written beside it as NAME-network and NAME-loss, .tex or .svg, and pointed at) or none "
        "(the default for .md)",
    )
    out.add_argument("--json", action="store_true", help="print the result as one JSON object")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    out.add_argument(
        "--progress",
        action="store_true",
        help="draw the progress bar on stderr even when it is not a terminal",
    )
    out.add_argument("-o", "--output", help="write the summary or JSON to FILE (- is stdout)")
    p.set_defaults(run=run)


def _load_data(network: Network, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    csv_options = args.x_columns or args.y_columns or args.one_hot
    generator_options = {"n": args.samples, "noise": args.noise}
    if args.data is None:
        if network.data is None:
            raise SymnnError(f"{args.spec}: no [data] table; give --data NAME or --data FILE.csv")
        X, Y = network.data.arrays()
    elif args.data in DATASETS:
        if csv_options:
            raise SymnnError("--x-columns, --y-columns and --one-hot apply to CSV files only")
        seed = args.seed if args.seed is not None else 0
        options = generator_options | ({"seed": seed} if args.data in _generators() else {})
        dataset = load_dataset(args.data, **options)
        X, Y = dataset.X, dataset.targets_for(network)
    elif Path(args.data).suffix.lower() == ".csv" or Path(args.data).exists():
        from symnn.core.csvdata import load_csv

        X, Y, _ = load_csv(
            args.data, _columns(args.x_columns), _columns(args.y_columns), args.one_hot
        )
    else:
        raise SymnnError(
            f"--data: expected a bundled dataset ({', '.join(DATASETS)}) or a CSV file, "
            f"found {args.data!r}"
        )
    if args.standardize:
        std = X.std(axis=0)
        X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
    return X, Y


def _generators() -> tuple[str, ...]:
    from symnn.training.datasets import GENERATED

    return GENERATED


def _summary(result: TrainResult, samples: int) -> str:
    batch = f"batches of {result.batch}" if result.batch < samples else "full batch"
    lines = [
        f"trained {', '.join(result.trained) or 'nothing'} for {len(result.loss) - 1} steps "
        f"with {result.config.optimizer} (lr {result.lr:g}, {batch})",
        f"loss: {result.loss[0]:.6g} -> {result.loss[-1]:.6g}",
    ]
    if result.accuracy is not None:
        lines.append(f"accuracy: {result.accuracy[0]:.1%} -> {result.accuracy[-1]:.1%}")
    lines.append("final parameters:")
    with np.printoptions(precision=6, suppress=True):
        for name, value in result.params.items():
            text = np.array2string(value, separator=", ")
            lines.append(f"  {name} = " + text.replace("\n", "\n" + " " * (len(name) + 5)))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.figures not in (None, "none") and not args.worked_step:
        raise SymnnError(
            f"--figures {args.figures}: the figures go in the worked step; give --worked-step "
            "FILE.tex or FILE.md (--plot FILE saves the loss curve as an image)"
        )
    if args.plot:  # before the training, not after it
        from symnn.training.plots import require_matplotlib

        require_matplotlib()
    network = load_spec(args.spec)
    config = load_training(args.spec).updated(
        steps=args.steps,
        lr=args.lr,
        batch=args.batch,
        optimizer=args.optimizer,
        momentum=args.momentum,
        seed=args.seed,
        init=args.init,
    )
    X, Y = _load_data(network, args)
    freeze = _columns(args.freeze) or ()
    result = train(
        network,
        X,
        Y,
        config,
        gradient=args.gradient,
        freeze=freeze,
        progress=False if args.quiet else (True if args.progress else None),
    )
    if result.interrupted:
        done = len(result.loss) - 1
        print(
            f"symnn: interrupted after {done} of {result.config.steps} steps; "
            "the partial result follows",
            file=sys.stderr,
        )
    if args.plot:
        from symnn.training.plots.training import plot_training

        plot_training(result, network, args.plot, X, Y)
    if args.worked_step:
        from symnn.training.worked_step import write_worked_step

        steps = len(result.loss) - 1
        write_worked_step(
            network,
            result.initial,
            X,
            Y,
            result.lr,
            args.worked_step,
            freeze,
            steps,
            paper=args.paper,
            result=result,
            digits=args.digits,
            figures=args.figures,
        )
    text = json_text(result.to_json(), indent=None, ensure_ascii=True) if args.json else None
    emit(text if args.json else _summary(result, len(X)), args.output)
    return 130 if result.interrupted else 0
