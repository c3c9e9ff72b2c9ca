"""``symnn derive SPEC``: the chain-rule derivation of the chosen gradients.

Formats: text (plain, for the terminal; the default), tex (a LaTeX fragment to \\input into notes
that load amsmath and amssymb), article (a standalone LaTeX document), beamer (slides, one step
revealed at a time), md (Markdown with $$ blocks for Jupyter, GitHub, MkDocs) and pdf (the article
compiled with pdflatex, without shell escape; needs -o).
"""

from __future__ import annotations

import argparse

from symnn.cli.commands import SUMMARIES
from symnn.cli.commands.output import emit, refuse_pdf_to_stdout
from symnn.core.errors import SymnnError
from symnn.core.files import write_bytes
from symnn.core.notation import NOTATIONS
from symnn.core.steps import Derivation
from symnn.engine import derive
from symnn.engine.conventions import with_convention
from symnn.engine.matrix import derive_matrix
from symnn.output.layout import PAPERS
from symnn.printing.latex import PARTIAL_STYLES
from symnn.spec.specfile import load_spec

FORMATS = ("text", "tex", "article", "beamer", "md", "pdf", "circuit")
FIGURES = ("none", "inline", "separate")
LEVELS = ("element", "matrix", "both")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "derive",
        help=SUMMARIES["derive"],
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("spec", help="network spec file (TOML), a bundled example's name, or - (stdin)")
    p.add_argument(
        "--wrt",
        default="all",
        help="'all' (default), a layer number, 'W1', 'b2', or one entry such as 'W1[1,2]'",
    )
    p.add_argument(
        "--level",
        choices=LEVELS,
        default="element",
        help="element: per weight, through z, a and δ (default); matrix: Jacobians and the δ "
        "recursion for whole layers, any width; both: the element level, then the matrix form",
    )
    p.add_argument("--expand", action="store_true", help="also write each result out in full")
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default); tex: a fragment to \\input; article: a standalone document; "
        "beamer: slides; md: Markdown; pdf: the article compiled (needs -o); circuit: the "
        "network at --sample as a circuit (TikZ; values above the wires, gradients below; "
        "-o NAME.pdf/.png/.svg draws it), one node per named quantity",
    )
    p.add_argument(
        "--document", action="store_true", help="with tex: a whole LaTeX article (= article)"
    )
    p.add_argument(
        "--numeric",
        action="store_true",
        help="add the worked example: forward values, each factor's number, the gradients and "
        "the weights after one step (needs weights, data and learning_rate in the spec); at the "
        "matrix level (matrix or both), the batch forms with every entry for all the samples",
    )
    p.add_argument(
        "--sample",
        type=int,
        default=1,
        help="with --numeric: the sample (from 1) whose forward and backward pass are worked; "
        "the gradients are the mean over all samples (default 1); at the matrix level, every "
        "sample's δ vectors are shown for a batch of up to four, else this sample's, then "
        "their mean",
    )
    p.add_argument(
        "--derive-activations",
        action="store_true",
        help="first derive each activation's derivative from its definition "
        "(σ' = σ(1 − σ) from 1/(1 + e^{-z}), tanh' = 1 − tanh²)",
    )
    p.add_argument(
        "--bp-equations",
        action="store_true",
        help="add the four fundamental equations of backpropagation (BP1–BP4, as in Nielsen's "
        "chapter 2): each derived, boxed at the element and matrix level, and written out for "
        "this network (a plain stack of dense layers)",
    )
    p.add_argument(
        "--notation",
        choices=list(NOTATIONS),
        help="symbols of the document (default: the spec's notation, else layered)",
    )
    p.add_argument(
        "--partial", choices=PARTIAL_STYLES, default="frac", help="∂ as a fraction or a slash"
    )
    p.add_argument(
        "--digits",
        type=int,
        help="significant digits of the numbers (default 6; 4 on a circuit; --json: full "
        "precision)",
    )
    p.add_argument(
        "--paper", choices=PAPERS, default="a4", help="paper of article and pdf (default a4)"
    )
    p.add_argument(
        "--figures",
        choices=FIGURES,
        help="the network diagram (weights on the edges, δ's path to the chosen gradient in "
        "red): inline (TikZ in the LaTeX; the default for article, beamer and pdf at the element "
        "level; in md the SVG as an image inside the file), separate (written beside -o as "
        "NAME-network.tex, or NAME-network.svg for md, "
        "and pointed at), none (the default for tex, md and the matrix level alone)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the derivation as one JSON object (sections, steps, results; with "
        "--numeric the worked numbers) for scripts",
    )
    p.add_argument("--template-dir", help="a folder of templates searched before symnn's own")
    p.add_argument("-o", "--output", help="write to this file instead of stdout (- is stdout)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Asked for (kept for --json and the circuit, whose defaults differ), else the documents' 6.
    args.digits_asked, args.digits = args.digits, 6 if args.digits is None else args.digits
    if args.document:  # the name calc and perceptron use: tex with --document is the article
        if args.format not in ("tex", "article"):
            raise SymnnError("--document: expected together with --format tex")
        args.format = "article"
    if args.format == "circuit":  # the sample's numbers always: --numeric is implied
        return _circuit(args)
    if args.format == "pdf":
        refuse_pdf_to_stdout(args.output)
    if args.format == "text" and args.numeric and not args.json:
        raise SymnnError("--numeric: expected --format tex, article, beamer, md or pdf")
    if args.sample != 1 and not args.numeric:
        raise SymnnError("--sample: expected together with --numeric")
    if args.format == "text" and args.derive_activations:
        raise SymnnError("--derive-activations: expected --format tex, article, beamer, md or pdf")
    if args.format == "text" and args.bp_equations:
        raise SymnnError("--bp-equations: expected --format tex, article, beamer, md or pdf")
    figures = _figures_option(args)
    network = load_spec(args.spec)
    derivation, matrix = _derivations(network, args)
    if args.json:
        return _json(derivation, matrix, args)
    if figures is None:
        figures = "inline" if args.format in ("article", "beamer", "pdf") else "none"

    if args.format == "text":
        parts = [derivation, matrix] if derivation is not None else [matrix]
        emit("\n\n".join(str(d) for d in parts if d is not None), args.output)
        return 0

    from symnn.output.document import render_derivation  # Jinja: only documents need it

    fmt = "article" if args.format == "pdf" else args.format
    text = render_derivation(
        derivation if derivation is not None else matrix,
        fmt,
        notation=args.notation,
        partial=args.partial,
        numeric=args.numeric,
        digits=args.digits,
        template_dir=args.template_dir,
        matrix=matrix if derivation is not None else None,
        paper=args.paper,
        activation_proofs=args.derive_activations,
        sample=args.sample,
        figures=figures,
        figure_stem=_stem(args.output) if figures == "separate" else "figure",
        equations=args.bp_equations,
    )
    if figures == "separate":
        from pathlib import Path

        from symnn.output.document import figure_files

        folder = Path(args.output).parent
        files = figure_files(
            derivation if derivation is not None else matrix,
            fmt,
            args.notation,
            args.numeric,
            args.digits,
            _stem(args.output),
        )
        for name, data in files.items():
            write_bytes(folder / name, data.encode("utf-8"))
    if args.format == "pdf":
        from symnn.output.pdf import compile_pdf

        write_bytes(args.output, compile_pdf(text))
    else:
        emit(text, args.output)
    return 0


def _circuit(args: argparse.Namespace) -> int:
    """``--format circuit``: the network at one sample drawn as the program circuit is."""
    from symnn.core import notation as nt
    from symnn.engine.network_program import network_program
    from symnn.engine.program import ProgramRun
    from symnn.output.circuit import render_circuit
    from symnn.printing.latex import SymnnLatexPrinter
    from symnn.spec.build import build_graph

    if args.level != "element" or args.json or args.figures not in (None, "none"):
        raise SymnnError("--format circuit: the element level alone, without --json or --figures")
    for flag, given in (
        ("--bp-equations", args.bp_equations),
        ("--derive-activations", args.derive_activations),
        ("--expand", args.expand),
    ):
        if given:  # a circuit has no derivation text for these to change
            raise SymnnError(f"{flag}: expected a derivation format, not --format circuit")
    network = load_spec(args.spec)
    run = ProgramRun(network_program(network, args.sample), digits=args.digits)
    style = nt.NOTATIONS[args.notation or network.notation]
    printer = SymnnLatexPrinter(namer=style.namer(build_graph(network).shape))
    digits = 4 if args.digits_asked is None else args.digits_asked
    picture = render_circuit(run, digits=digits, printer=printer)
    if args.output not in (None, "-") and not args.output.endswith(".tex"):
        from symnn.output.figures.tikz import save_picture

        save_picture(picture, args.output, "-o")
    else:
        emit(picture, args.output)
    return 0


def _json(derivation: Derivation | None, matrix: Derivation | None, args) -> int:
    import json

    from symnn.output.derivation_json import derivation_json

    if args.format not in ("text",):
        raise SymnnError("--json: expected without --format (JSON is its own format)")
    data = derivation_json(
        derivation if derivation is not None else matrix,
        notation=args.notation,
        numeric=args.numeric,
        sample=args.sample,
        matrix=matrix if derivation is not None else None,
        digits=args.digits_asked,
    )
    emit(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False), args.output)
    return 0


def _figures_option(args: argparse.Namespace) -> str | None:
    """--figures checked against the format and the output (None: the format's default)."""
    figures = args.figures
    if figures in (None, "none"):
        return figures
    if args.format == "text":
        raise SymnnError(f"--figures {figures}: plain text has no figures; use --format article")
    if figures == "separate":
        if args.format in ("pdf", "beamer"):
            raise SymnnError(
                f"--figures separate: --format {args.format} carries its figures inline; "
                "use --figures inline"
            )
        if args.output in (None, "-"):
            raise SymnnError("--figures separate: expected an output file with -o to write beside")
    return figures


def _stem(output: str) -> str:
    from pathlib import Path

    return Path(output).stem


def _derivations(network, args: argparse.Namespace) -> tuple[Derivation | None, Derivation | None]:
    """The element-level and matrix-level derivations the --level asks for (None: not asked)."""
    if args.level == "matrix":
        if args.wrt != "all":
            raise SymnnError(
                "--wrt: the matrix level derives every layer at once; "
                "drop --wrt, or use --level element or both"
            )
        if args.numeric and args.json:
            raise SymnnError("--numeric: the JSON worked numbers need --level element or both")
        if args.numeric and not network.is_chain:
            raise SymnnError(
                "--numeric: the batch numbers at the matrix level need a plain stack of dense "
                "layers; use --level element or both"
            )
        return None, derive_matrix(network)
    whole = args.wrt.isascii() and args.wrt.isdigit() and len(args.wrt) <= 12
    wrt = int(args.wrt) if whole else args.wrt
    element = with_convention(derive(network, wrt, expand=args.expand), args.notation)
    return element, derive_matrix(network) if args.level == "both" else None
