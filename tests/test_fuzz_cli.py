"""The fuzzer: Hypothesis generates hostile and malformed specs, CSV files, expressions and command
lines; every run must end well.

"Well" means a result (exit 0, or 1 for a failed check) or exit 2 with one line naming the
problem, and never: a traceback, a run past the time bound (a hang), a printed warning, JSON
that is not valid (Infinity, NaN) or a temporary file left behind.

Most inputs run in this process through ``symnn.cli.main.main`` (``cli_harness``: output
captured, a SIGALRM time bound), so thousands are affordable; ``test_sample_in_real_processes``
runs a few through ``python -m symnn`` to check the real entry point.

- CI (the default): a short derandomised run, under a minute on an idle machine.
- Long run, by hand (see README, "Limits and safety")::

      SYMNN_FUZZ_EXAMPLES=1500 SYMNN_FUZZ_REPORT=fuzz.json HYPOTHESIS_PROFILE=long \\
          python3 -m pytest -p no:cacheprovider tests/test_fuzz_cli.py

  With ``SYMNN_FUZZ_REPORT`` set, problems are counted and listed in that JSON file instead of
  stopping at the first one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symnn.core.errors import SymnnError
from symnn.core.expressions import variables_in
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.losses import LOSSES
from tests.cli_harness import Outcome, run_cli, strict_json, temporary_files
from tests.helpers import output_activation_for

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("SYMNN_FUZZ_EXAMPLES", "12"))
BOUND = float(os.environ.get("SYMNN_FUZZ_BOUND", "30"))  # seconds before a run counts as a hang
REPORT = os.environ.get("SYMNN_FUZZ_REPORT")
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

# --- values -------------------------------------------------------------------------------------

HOSTILE_NUMBERS = [
    "0", "-1", "-0.0", "1.5", "1e400", "-1e400", "1" + "0" * 400, "1e-320", "nan", "inf", "-inf",
    "99999999999999999999", "100001", "1e300", "0.1", "1e100000000", "²", "١٢", "1/0", "1_000",
    "0x10", "", " ", "1e", "--1", "1e-100000000",
]  # fmt: skip
TOML_HOSTILE = [
    "0", "-1", "-0.0", "1.5", "1e400", "1" + "0" * 400, "nan", "inf", "-inf", "1e-320", "100001",
    "99999999999999999999", '"2"', "true", "false", "[]", "[[]]", "{}", '"²"', "[1, [2]]",
    "[" * 50 + "]" * 50,
]  # fmt: skip
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12) | st.sampled_from(
    [r"\input{/etc/passwd}", r"\write18{id}", "$x$", "%", "#", "_", "^", "{}", "²"]
)


def toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a TOML basic string for these characters


def toml_value(draw, depth: int = 0) -> str:
    kind = draw(st.integers(0, 9))
    if kind <= 3:
        return str(draw(st.integers(-3, 5)))
    if kind <= 5:
        return draw(st.sampled_from(TOML_HOSTILE))
    if kind == 6:
        return repr(draw(st.floats(allow_nan=False, allow_infinity=False, width=32)))
    if kind == 7:
        return toml_string(draw(TEXT))
    if depth < 2:
        items = draw(st.lists(st.integers(0, 9), max_size=3))
        return "[" + ", ".join(toml_value(draw, depth + 1) for _ in items) + "]"
    return "1"


def matrix(draw, rows: int, cols: int, wild: bool = True) -> str:
    if wild and draw(st.integers(0, 5)) == 0:
        return toml_value(draw)
    if wild:
        rows = draw(st.sampled_from([rows, rows, rows + 1, max(rows - 1, 0)]))
    numbers = st.sampled_from(["0.5", "-0.25", "1", "0", "2.0", "1e3", "-1e3", "0.1"])
    return (
        "["
        + ", ".join("[" + ", ".join(draw(numbers) for _ in range(cols)) + "]" for _ in range(rows))
        + "]"
    )


@st.composite
def spec_text(draw) -> str:
    """A spec: mostly well-formed small networks with a hostile value here and there."""
    widths = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(1, 3)) + 1)]
    wild = draw(st.integers(0, 3)) == 3  # else mostly well-formed, a bad value now and then
    activations = list(ACTIVATIONS) + (["sigmoud", "", "²", "SIGMOID"] if wild else [])
    losses = list(LOSSES) + (["mse ", "crossentropy"] if wild else [])
    lines = []

    def maybe(key: str, good: str) -> None:
        roll = draw(st.integers(0, 9) if wild else st.integers(0, 40))
        if roll <= 5 or roll >= 10:
            lines.append(f"{key} = {good}")
        elif roll <= 7:
            lines.append(f"{key} = {toml_value(draw)}")

    if draw(st.booleans()):
        lines.append(f"name = {toml_string(draw(TEXT))}")
    maybe("inputs", str(widths[0]))
    loss = draw(st.sampled_from(losses))
    maybe("loss", toml_string(loss))
    maybe("learning_rate", draw(st.sampled_from(["0.5", "0.1", "1"])))
    maybe("notation", toml_string(draw(st.sampled_from(["layered", "neuron", "other"]))))
    if draw(st.integers(0, 30)) == 0:
        lines.append(f"unknown_key = {toml_value(draw)}")
    last = len(widths) - 1
    for number, (previous, units) in enumerate(zip(widths, widths[1:], strict=False), start=1):
        lines.append("[[layers]]")
        if number == last and not wild and loss in LOSSES:  # an output the loss accepts
            activation = output_activation_for(loss)
            units = max(units, 2 if activation == "softmax" else 1, LOSSES[loss].min_outputs)
            widths[-1] = units
        else:
            activation = draw(st.sampled_from(activations))
        maybe("units", str(units))
        maybe("activation", toml_string(activation))
        if draw(st.booleans()):
            lines.append(f"weights = {matrix(draw, units, previous, wild)}")
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"bias = {'false' if draw(st.booleans()) else [0.25] * units}")
        if wild and draw(st.integers(0, 3)) == 0:
            lines.append(f"bias = {draw(st.sampled_from(['[0.1]', '[0.0, 0.5]', '[]']))}")
        if wild and draw(st.integers(0, 6)) == 0:
            key = draw(st.sampled_from(["slope", "alpha", "delta", "bogus"]))
            lines.append(f"activation_params = {{ {key} = {toml_value(draw)} }}")
        if draw(st.integers(0, 8)) == 0:
            lines.append(f"trainable_bias = {toml_value(draw) if wild else 'false'}")
    if draw(st.integers(0, 40)) == 0:  # deep and narrow: the depth guard
        lines += ["[[layers]]", "units = 1"] * draw(st.integers(101, 400))
    if draw(st.booleans()):
        lines.append("[data]")
        samples = draw(st.integers(1, 3))
        maybe("x", matrix(draw, samples, widths[0], wild))
        if wild or loss not in LOSSES:
            maybe("y", matrix(draw, samples, widths[-1], wild))
        else:  # targets the loss accepts: one-hot rows, or ±1 for hinge and perceptron
            hot = [draw(st.integers(0, widths[-1] - 1)) for _ in range(samples)]
            rows = np.array([[1.0 if k == h else 0.0 for k in range(widths[-1])] for h in hot])
            if not LOSSES[loss].check_targets(rows):
                rows = 2 * rows - 1
            maybe("y", "[" + ", ".join(str(list(row)) for row in rows.tolist()) + "]")
    if draw(st.integers(0, 4)) == 0:
        lines.append("[train]")
        maybe("steps", str(draw(st.integers(0, 5))))
        maybe("lr", "0.1")
        maybe("optimizer", toml_string(draw(st.sampled_from(["gd", "sgd", "momentum", "adam"]))))
        maybe("batch", "2")
        maybe("seed", "0")
    text = "\n".join(lines) + "\n"
    if wild and draw(st.integers(0, 5)) == 0:  # damaged file
        text = text[: draw(st.integers(0, len(text)))] + draw(st.sampled_from(["[", "=", "\x00"]))
    return text


@st.composite
def spec_args(draw) -> tuple[dict[str, str], list[str]]:
    files = {"spec.toml": draw(spec_text())}
    wild = draw(st.integers(0, 3)) == 3  # else options that fit together
    command = draw(st.sampled_from(["derive", "derive", "derive", "check", "train"]))
    argv = [command, "spec.toml"]
    if command == "derive":
        level = draw(st.sampled_from(["element", "element", "matrix", "both"]))
        argv += ["--level", level]
        wrt = ["all", "W1", "W1[1,1]", "b1[1]", "W2", "1", "2", "layer 1"]
        wrt += ["²", "W9[1,1]", "0"] if wild else []
        if (wild or level != "matrix") and draw(st.booleans()):
            argv += ["--wrt", draw(st.sampled_from(wrt) | TEXT if wild else st.sampled_from(wrt))]
        formats = ["text", "tex", "md", "article", "beamer"]
        fmt = draw(st.sampled_from(formats))
        argv += ["--format", fmt]
        if (wild or (fmt != "text" and level != "matrix")) and draw(st.integers(0, 2)) == 0:
            argv.append("--numeric")
        if draw(st.integers(0, 3)) == 0:
            notations = ["layered", "neuron"] + (["x"] if wild else [])
            argv += ["--notation", draw(st.sampled_from(notations))]
        if draw(st.integers(0, 4)) == 0:
            outputs = ["out.txt", "link.txt"] + ([".", "missing/dir/out.txt"] if wild else [])
            argv += ["-o", draw(st.sampled_from(outputs))]
    elif command == "train":
        argv += ["--data", draw(st.sampled_from(["and", "xor", "moons", "iris", "none"]))]
        argv += ["--steps", str(draw(st.integers(0, 4)))]
        if draw(st.booleans()):
            argv.append("--json")
        if draw(st.integers(0, 3)) == 0:
            rates = ["0.5", "2"] + (["1e300", "-1", "0", "nan"] if wild else [])
            argv += ["--lr", draw(st.sampled_from(rates))]
    return files, argv


@st.composite
def csv_args(draw) -> tuple[dict[str, str], list[str]]:
    wild = draw(st.integers(0, 3)) == 3
    names = [draw(st.sampled_from(["x1", "x2", "y", "a", "²", "a$b", "", "x1"])) for _ in range(3)]
    if not wild:
        names = ["x1", "x2", "y"]
    label = st.sampled_from(["0", "1"])
    number = st.sampled_from(["0", "1", "0.5", "-2", "1/3", "3", "2.25", "-0.75"])
    hostile = st.sampled_from(HOSTILE_NUMBERS)
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        if not wild:
            cells = [draw(number), draw(number), draw(label)]
            if draw(st.integers(0, 30)) == 0:
                cells[draw(st.integers(0, 2))] = draw(hostile)
            rows.append(",".join(cells))
            continue
        cell = number | label | hostile
        width = 3 if draw(st.integers(0, 8)) else draw(st.integers(1, 4))
        rows.append(",".join(draw(cell) for _ in range(width)))
    text = ",".join(names) + "\n" + "\n".join(rows) + "\n"
    if wild and draw(st.integers(0, 4)) == 0:
        text = draw(st.sampled_from(["", "\n", "x1,x2,y\n", "\ufeffx1,x2,y\n0,0,0\n"]))
    files = {"data.csv": text}
    if draw(st.booleans()):
        argv = ["perceptron", "--csv", "data.csv"]
        if wild and draw(st.booleans()):
            argv += ["--columns", draw(st.sampled_from(["x1,x2", "x1", "²", "x1,x1", "q"]))]
        if wild and draw(st.booleans()):
            argv += ["--label", draw(st.sampled_from(["y", "x1", "²", "none"]))]
        if draw(st.booleans()):
            argv.append("--no-exact")
        if draw(st.booleans()):
            argv.append(
                f"--lr={draw(st.sampled_from(['1', '0.5', '1/3']) | (hostile if wild else number))}"
            )
        if draw(st.booleans()):
            argv.append(f"--bias={draw(hostile if wild else number)}")
        epochs = [1, 5, 20, 100] + ([0, -1, 100000] if wild else [])
        argv += ["--epochs", str(draw(st.sampled_from(epochs)))]
        if draw(st.booleans()):
            argv.append("--json")
        if draw(st.integers(0, 12)) == 0:
            argv += ["--plot", draw(st.sampled_from(["p.png", ".", "p.bmp"]))]
    else:
        argv = ["train", str(ROOT / "examples" / "xor.toml"), "--data", "data.csv"]
        argv += ["--steps", "2"]
        if draw(st.booleans()):
            columns = ["x1,x2", "0,1"] + (["²,x2", "-1,0", "9"] if wild else [])
            argv += ["--x-columns", draw(st.sampled_from(columns))]
        if draw(st.booleans()):
            argv += [
                "--y-columns",
                draw(st.sampled_from(["y", "2"] + (["²", "-1"] if wild else []))),
            ]
        if draw(st.integers(0, 3)) == 0:
            argv.append("--one-hot")
        if draw(st.booleans()):
            argv.append("--json")
    return files, argv


NUMBER = st.sampled_from(["1", "2", "0", "-1", "1/2", "0.1", "3.5", "pi", "e"]) | st.sampled_from(
    ["1e300", "1e-300", "10^1000", "1e5000", "10**6", "2^-1000", "1e308", "²", "1e1000", "0.0"]
)
FUNCTIONS = ["exp", "log", "ln", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh"]
FUNCTIONS += ["cosh", "tanh", "sigmoid", "abs", "eval", "__import__", "open", "x.__class__"]


GOOD_NUMBER = st.sampled_from(["1", "2", "0", "-1", "1/2", "0.1", "3.5", "pi", "e", "3"])


def expressions(wild: bool = True) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(["x", "y", "x", "y", "z"]) | (NUMBER if wild else GOOD_NUMBER)
    ops = ["+", "-", "*", "/", "^", "**"] + (["//", "%", "@"] if wild else [])
    functions = FUNCTIONS if wild else FUNCTIONS[:15]

    def extend(inner):
        return (
            st.tuples(inner, st.sampled_from(ops), inner).map(lambda t: f"({t[0]}{t[1]}{t[2]})")
            | st.tuples(st.sampled_from(functions), inner).map(lambda t: f"{t[0]}({t[1]})")
            | inner.map(lambda e: f"-{e}")
        )

    tree = st.recursive(leaf, extend, max_leaves=8 if wild else 5)
    return tree | TEXT if wild else tree


def point(size: int, wild: bool = True) -> st.SearchStrategy[str]:
    coordinate = NUMBER | expressions() if wild else GOOD_NUMBER
    return st.lists(coordinate, min_size=size, max_size=size).map(",".join)


@st.composite
def calc_args(draw) -> tuple[dict[str, str], list[str]]:
    kind = draw(
        st.sampled_from(
            ["derivative", "gradient", "directional", "linear", "taylor", "jacobian", "hessian"]
            + ["descent", "descent"]
        )
    )
    wild = draw(st.integers(0, 2)) == 2
    argv = ["calc", kind]
    exprs = [draw(expressions(wild))]
    if kind == "jacobian":
        exprs += [draw(expressions(wild)) for _ in range(draw(st.integers(0, 2)))]
    try:  # as many coordinates as variables, mostly
        size = len(variables_in(*exprs)) or 1
    except SymnnError:
        size = 1
    if wild:
        size = draw(st.sampled_from([size, size, 1, 2]))
    needs_point = kind in ("directional", "linear", "taylor") or draw(st.booleans())
    if needs_point and kind != "descent":
        argv.append(f"--at={draw(point(size, wild))}")
    if kind == "directional":
        argv.append(f"--direction={draw(point(size, wild))}")
    if kind == "linear" or (kind == "taylor" and draw(st.booleans())):
        argv.append(f"--step={draw(point(size, wild))}")
    if kind == "taylor":
        argv += ["--order", str(draw(st.sampled_from([0, 1, 2, 3, 5, -1, 50])))]
    if kind == "descent":
        argv.append(f"--from={draw(point(size, wild))}")
        argv += ["--steps", str(draw(st.sampled_from([0, 1, 5, 20, 50, -1, 20000])))]
        argv.append(f"--lr={draw(st.sampled_from(['0.1', '0.5', '1e300', '0', '-1']) | NUMBER)}")
        if draw(st.booleans()):
            argv.append("--exact")
        if draw(st.integers(0, 3)) == 0:
            argv.append(f"--momentum={draw(st.sampled_from(['0.9', '1', '-0.1']) | NUMBER)}")
        if draw(st.integers(0, 15)) == 0:
            argv += ["--plot", "gd.png"]
    if draw(st.integers(0, 3)) == 0:
        argv += ["--vars", draw(st.sampled_from(["x,y", "x", "y,x", "x,x", "pi", "²", "x y"]))]
    roll = draw(st.integers(0, 5))
    if roll == 0:
        argv.append("--json")
    elif roll <= 3:
        argv += ["--format", draw(st.sampled_from(["text", "tex", "md", "py"]))]
    return {}, [*argv, "--", *exprs]


GATE_FUNCTIONS = ["relu", "max", "min", "step", "abs", "exp", "log", "tanh", "sigmoid", "sqrt"]


@st.composite
def program_text(draw) -> str:
    """A small program: mostly well formed; one in three reassigns, cycles, or is hostile."""
    wild = draw(st.integers(0, 2)) == 2
    number = NUMBER if wild else GOOD_NUMBER.filter(lambda n: n not in ("pi", "e"))
    inputs = draw(
        st.lists(st.sampled_from(["a", "b", "x", "w"]), min_size=1, max_size=3, unique=True)
    )
    lines = [f"{name} = {draw(number)}" for name in inputs]
    known = list(dict.fromkeys(inputs))
    for index in range(draw(st.integers(1, 5))):
        leaf = st.sampled_from(known) | (GOOD_NUMBER if wild else st.sampled_from(known))
        left, right = draw(leaf), draw(leaf)
        unary = st.sampled_from(GATE_FUNCTIONS[2:]).map(lambda f, x=left: f"{f}({x})")
        binary = st.sampled_from(["+", "-", "*", "/", "**"]).map(
            lambda op, x=left, y=right: f"{x} {op} {y}"
        )
        body = draw(
            binary
            | unary
            | st.sampled_from(["max", "min"]).map(lambda f, x=left, y=right: f"{f}({x}, {y})")
            | (expressions() if wild else binary)
        )
        target = f"n{index}"
        if wild:
            target = draw(st.sampled_from([target, known[0], "", "1x", "exp", f"n{index + 1}"]))
        lines.append(f"{target} = {body}")
        known.append(target)
    if wild and draw(st.booleans()):
        lines.append(draw(TEXT))
    return draw(st.sampled_from(["\n", "; "])).join(lines)


@st.composite
def graph_args(draw) -> tuple[dict[str, str], list[str]]:
    program = draw(program_text())
    if draw(st.booleans()):
        files, argv = {"prog.txt": program}, ["graph", "prog.txt"]
    else:
        files, argv = {}, ["graph", "-e", program]
    if draw(st.integers(0, 3)) == 0:
        points = ["a=1", "a=-4,b=2", "x=0,w=2", "q=1", "a=1e400", "a="]
        argv.append(f"--at={draw(st.sampled_from(points))}")
    if draw(st.integers(0, 3)) == 0:
        argv += ["--output-node", draw(st.sampled_from(["n0", "n1", "a", "zz", "²"]))]
    if draw(st.booleans()):
        argv.append("--gates")
    if draw(st.integers(0, 4)) == 0:
        argv.append(f"--seed-gradient={draw(NUMBER)}")
    if draw(st.integers(0, 4)) == 0:
        argv += ["--digits", draw(st.sampled_from(["3", "0", "-1", "40", "x"]))]
    roll = draw(st.integers(0, 5))
    if roll == 0:
        argv.append("--json")
    elif roll <= 3:
        formats = ["text", "tex", "article", "beamer", "md", "circuit", "py", "pdf"]
        argv += ["--format", draw(st.sampled_from(formats))]
    if draw(st.integers(0, 4)) == 0:
        argv += ["-o", draw(st.sampled_from(["out.tex", "out.pdf", "sub/out.md", "."]))]
    return files, argv


VOCABULARY = [
    "derive", "check", "train", "calc", "perceptron", "gradient", "descent", "hessian", "--wrt",
    "--level", "--format", "--json", "-o", "--at", "--gate", "and", "xor", "--csv", "--steps",
    "--lr", "--epochs", "--plot", "--point", "--weights", "--bias", "--", "-", "--help-me",
    "examples/two_two_two.toml", "spec.toml", "x**2", "1,1", "md", "py", "--template-dir", ".",
    "--version", "--numeric", "--exact", "--data", "none", "--threshold", "gt", "graph", "-e",
    "c = a + b", "--gates", "--output-node", "examples/micrograd.txt",
]  # fmt: skip


@st.composite
def random_args(draw) -> tuple[dict[str, str], list[str]]:
    words = draw(st.lists(st.sampled_from(VOCABULARY) | TEXT, min_size=1, max_size=7))
    words = [w if not w.startswith("/") and ".." not in w else "x" for w in words]
    if words[0] in ("--help", "-h", "gallery"):
        words[0] = "calc"
    return {"spec.toml": "inputs = 2\n[[layers]]\nunits = 1\n"}, [
        w for w in words if w not in ("--help", "-h", "gallery")
    ]


# --- running and judging -------------------------------------------------------------------------

COUNTS: Counter[str] = Counter()
FAILURES: list[dict[str, object]] = []


def judge(outcome: Outcome, work: Path) -> list[str]:
    problems = outcome.problems()
    # `symnn --version` answers before any command reads its --json, as `git --version` does
    printed_version = "--version" in outcome.argv and outcome.stdout.startswith("symnn ")
    wants_json = "--json" in outcome.argv and "-o" not in outcome.argv and not printed_version
    if outcome.code == 0 and wants_json:
        try:
            strict_json(outcome.stdout)
        except ValueError as error:
            problems.append(f"invalid JSON: {error}")
            COUNTS["invalid_json"] += 1
    left = temporary_files(work)
    if left:
        problems.append(f"temporary files left: {left}")
    return problems


def record(outcome: Outcome, problems: list[str], cls: str) -> None:
    COUNTS["inputs"] += 1
    COUNTS[f"inputs_{cls}"] += 1
    if outcome.hung:
        COUNTS["hangs"] += 1
    elif outcome.escaped or "Traceback" in outcome.stderr:
        COUNTS["tracebacks"] += 1
    elif outcome.code == 0 or outcome.code == 1:
        COUNTS["results"] += 1
        COUNTS[f"results_{cls}"] += 1
    elif outcome.clean_error:
        COUNTS["clean_errors"] += 1
    if problems:
        COUNTS["problems"] += 1
        FAILURES.append({"argv": outcome.argv, "problems": problems})
    if REPORT:
        Path(REPORT).write_text(
            json.dumps({"counts": dict(COUNTS), "failures": FAILURES[:200]}, indent=1) + "\n"
        )


def exercise(case: tuple[dict[str, str], list[str]], cls: str) -> None:
    files, argv = case
    work = Path(tempfile.mkdtemp(prefix="symnn-fuzz-"))
    cwd = os.getcwd()
    try:
        for name, text in files.items():
            (work / name).write_text(text, encoding="utf-8", errors="surrogatepass")
        (work / "link.txt").symlink_to(work / "linked.txt")
        os.chdir(work)
        outcome = run_cli(argv, seconds=BOUND)
        problems = judge(outcome, work)
    finally:
        os.chdir(cwd)
        shutil.rmtree(work, ignore_errors=True)
    record(outcome, problems, cls)
    if not REPORT:
        assert not problems, f"symnn {argv!r}:\n" + "\n".join(problems)


@FUZZ
@given(spec_args())
def test_fuzz_specs(case):
    exercise(case, "spec")


@FUZZ
@given(csv_args())
def test_fuzz_csv(case):
    exercise(case, "csv")


@FUZZ
@given(calc_args())
def test_fuzz_expressions(case):
    exercise(case, "calc")


@FUZZ
@given(graph_args())
def test_fuzz_programs(case):
    exercise(case, "graph")


@FUZZ
@given(random_args())
def test_fuzz_command_lines(case):
    exercise(case, "args")


@settings(
    max_examples=max(2, EXAMPLES // 50), deadline=None, suppress_health_check=list(HealthCheck)
)
@given(st.one_of(spec_args(), csv_args(), calc_args(), graph_args()))
def test_sample_in_real_processes(case):
    """A few generated inputs through ``python -m symnn``: no traceback, bounded, nothing left."""
    files, argv = case
    with tempfile.TemporaryDirectory(prefix="symnn-fuzz-") as folder:
        work = Path(folder)
        for name, text in files.items():
            (work / name).write_text(text, encoding="utf-8", errors="surrogatepass")
        result = subprocess.run(
            [sys.executable, "-m", "symnn", *argv],
            cwd=work,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=BOUND * 3,  # interpreter start and imports on a loaded machine
        )
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode in (0, 1, 2), result.stderr
        if result.returncode == 2:
            assert result.stderr.strip().splitlines()[-1].startswith("symnn"), result.stderr
        assert temporary_files(work) == []
