"""``symnn graph FILE``: a small program's computational graph, every node's value and gradient.

A program is a few assignments over scalars, one per line (or separated by ';'), parsed safely
and never evaluated: numbers, names, + - * / ** ^, the functions of ``symnn calc`` and relu, max,
min, step, abs. A name given a number is an input; each name is assigned once; the last
assignment (or --output-node) is the output. Example (micrograd's README, bundled):

    symnn graph examples/micrograd.txt
    symnn graph -e "f = 1/(1 + exp(-(w0*x0 + w1*x1 + w2)))" \\
        --at w0=2,x0=-1,w1=-3,x1=-2,w2=-3 --gates --format circuit

Formats: text (default), tex (fragment), article, beamer (one node per frame, gradients revealed
node by node on the circuit), md, pdf (the article compiled; needs -o), circuit (the TikZ picture
alone), py (NumPy forward and backward, one line per node); --json prints every number.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from symnn.cli.commands.calc import exact_json, to_json
from symnn.cli.commands.output import emit, refuse_pdf_to_stdout
from symnn.core.errors import SymnnError
from symnn.core.program import MAX_PROGRAM_LENGTH, Program, load_program, parse_program
from symnn.engine.program import ProgramRun, run_program
from symnn.output.program import FIGURES
from symnn.printing.text import text

FORMATS = ("text", "tex", "article", "beamer", "md", "pdf", "circuit", "py")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "graph",
        help="computational graph of a small program: values, gradients, circuit",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "file",
        nargs="?",
        help="program file (one assignment per line), a bundled program's name, or - (stdin)",
    )
    p.add_argument(
        "-e", "--program", help="the program as text instead of a file ('; ' or newlines)"
    )
    p.add_argument("--at", help="input values, e.g. a=-4,b=2 (override those in the program)")
    p.add_argument("--output-node", help="the node to differentiate (default: the last one)")
    p.add_argument("--gates", action="store_true", help="split expressions into primitive gates")
    p.add_argument(
        "--seed-gradient",
        default="1",
        help="upstream gradient at the output (default 1), e.g. to show ∂out/∂x of one neuron",
    )
    p.add_argument("--digits", type=int, default=6, help="significant digits shown (default 6)")
    p.add_argument(
        "--places",
        type=int,
        default=4,
        help="at least this many decimal places (default 4, as micrograd prints; 0: digits only)",
    )
    p.add_argument("--format", choices=FORMATS, default="text", help="output format")
    p.add_argument(
        "--figures",
        choices=FIGURES,
        help="the circuit (forward values above the wires, gradients below): inline (TikZ in the "
        "LaTeX, the default for article, beamer and pdf; in md the SVG as an image inside the "
        "file), separate (written beside -o as NAME-circuit.tex, or NAME-circuit.svg for md, and "
        "pointed at) or none (the default for tex and md)",
    )
    p.add_argument("--json", action="store_true", help="every node's value and gradient as JSON")
    p.add_argument("-o", "--output", help="write to this file instead of stdout (- is stdout)")
    p.set_defaults(run=run)


def read_program(args: argparse.Namespace) -> Program:
    """The program from the file or -e, with the command line's values and choices."""
    if (args.file is None) == (args.program is None):
        raise SymnnError("graph: expected a program file or -e 'program text' (one of them)")
    if args.program is None and args.file == "-":
        return parse_program(_stdin_program(), args.at, args.output_node, args.gates)
    if args.program is None:
        path = args.file
        if not Path(path).exists():  # a bundled program by name, from any folder
            from symnn.spec.examples import program_path

            path = program_path(path) or path
        return load_program(path, args.at, args.output_node, args.gates)
    return parse_program(args.program, args.at, args.output_node, args.gates)


def _stdin_program() -> str:
    """The program text from standard input (``symnn graph -``), as UTF-8 and within the limit."""
    data = sys.stdin.buffer.read(MAX_PROGRAM_LENGTH * 4 + 1)
    if len(data) > MAX_PROGRAM_LENGTH * 4:
        raise SymnnError(f"<stdin>: larger than {MAX_PROGRAM_LENGTH * 4} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SymnnError("<stdin>: not UTF-8 text") from None


def json_object(run: ProgramRun) -> dict:
    """The program's numbers: every input and node with its value and gradient, float and exact."""
    program = run.program
    nodes = {n.symbol: n for n in program.nodes}
    items = []
    for s in run.symbols:
        n = nodes.get(s)
        parents = [] if n is None else [p.name for p in run.graph.parents(run.graph.definition(s))]
        items.append(
            {
                "name": s.name,
                "kind": "input" if n is None else "node",
                "definition": None if n is None else text(n.expr),
                "gate": None if n is None else n.gate or None,
                "line": None if n is None else n.line,
                "inputs": parents,
                "value": to_json(run.values[s]),
                "gradient": to_json(run.gradients[s]),
                "value_exact": exact_json(run.values[s]),
                "gradient_exact": exact_json(run.gradients[s]),
            }
        )
    return {
        "kind": "graph",
        "output": program.output.name,
        "seed_gradient": to_json(run.seed),
        "nodes": items,
    }


def _figures(args: argparse.Namespace) -> str | None:
    """--figures checked against the format and the output (None: the format's default)."""
    figures = args.figures
    if figures in (None, "none"):
        return figures
    if args.json or args.format in ("text", "py", "circuit"):
        what = "--json" if args.json else f"--format {args.format}"
        itself = args.format == "circuit" and not args.json
        why = "is the circuit itself" if itself else "has no figures"
        raise SymnnError(
            f"--figures {figures}: {what} {why}; use --format tex, article, beamer, md or pdf"
        )
    if figures == "separate":
        if args.format in ("pdf", "beamer"):
            raise SymnnError(
                f"--figures separate: --format {args.format} carries its circuit inline; "
                "use --figures inline"
            )
        if args.output in (None, "-"):
            raise SymnnError("--figures separate: expected an output file with -o to write beside")
    return figures


def run(args: argparse.Namespace) -> int:
    figures = _figures(args)
    program = read_program(args)
    if args.format == "py" and not args.json:
        from symnn.codegen.program import program_source

        emit(program_source(program), args.output)
        return 0
    result = run_program(program, args.seed_gradient, args.digits, places=args.places)
    if args.json:
        emit(json.dumps(json_object(result), indent=2, ensure_ascii=False), args.output)
        return 0
    if args.format == "circuit":
        from symnn.output.circuit import render_circuit

        emit(render_circuit(result, digits=min(args.digits, 4)), args.output)
        return 0
    from symnn.output.program import render_program

    if args.format == "pdf":
        refuse_pdf_to_stdout(args.output)
        from symnn.core.files import write_bytes
        from symnn.output.pdf import compile_pdf

        document = render_program(result, "article", figures=figures)
        write_bytes(args.output, compile_pdf(document))
        return 0
    beside = None
    if figures == "separate":  # the figure first: a document never points at one that failed
        beside = _write_circuit(result, args.format, args.output)
    emit(render_program(result, args.format, circuit_file=beside, figures=figures), args.output)
    return 0


def _write_circuit(result: ProgramRun, fmt: str, output: str) -> str:
    """Write the circuit beside ``output`` (NAME-circuit.tex, or .svg for md); its file name."""
    from symnn.core.files import write_bytes
    from symnn.output.circuit import render_circuit

    picture = render_circuit(result)
    name = f"{Path(output).stem}-circuit.{'svg' if fmt == 'md' else 'tex'}"
    if fmt == "md":
        from symnn.output.figures.tikz import picture_svg

        picture = picture_svg(picture)
    write_bytes(Path(output).parent / name, picture.encode("utf-8"))
    return name
