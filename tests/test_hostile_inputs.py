"""Issue 20's reproducers: each class of hostile or malformed input ends in a correct result or
exit 2 with one line naming the problem, within a few seconds, and never a traceback.

Commands run in this process through ``symnn.cli.main.main`` (see ``cli_harness``); the fuzz test
(test_fuzz_cli.py) throws generated inputs of the same classes at it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.cli_harness import run_cli, strict_json, temporary_files

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "two_two_two.toml")
BOUND = 15.0  # seconds; each case takes well under this on an idle machine


def ran(argv: list[str], bound: float = BOUND):
    start = time.monotonic()
    outcome = run_cli([str(a) for a in argv], seconds=bound)
    assert not outcome.problems(), outcome.describe()
    assert time.monotonic() - start < bound
    return outcome


def refused(argv: list[str], message: str, bound: float = BOUND) -> str:
    """Run, expect exit 2 with one line matching ``message``; return that line."""
    outcome = ran(argv, bound)
    assert outcome.clean_error, outcome.stderr
    line = outcome.stderr.strip().splitlines()[-1]
    assert line.startswith("symnn: error:")
    assert len(outcome.stderr.strip().splitlines()) == 1
    assert message in line, line
    return line


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


SOFTMAX_SATURATED = """learning_rate = 0.5
inputs = 1
loss = "cross_entropy"
[[layers]]
units = 3
activation = "softmax"
weights = [[1000.0], [-1000.0], [0.0]]
bias = [0.0, 0.0, 0.0]
[data]
x = [[1.0]]
y = [[0.0, 1.0, 0.0]]
"""


def chain(layers: int) -> str:
    return "inputs = 1\nloss = 'mse'\n" + "[[layers]]\nunits = 1\nactivation = 'tanh'\n" * layers


# --- tracebacks that are now clean errors -------------------------------------------------------


def test_deeply_nested_toml_array(tmp_path):
    spec = write(tmp_path, "deep.toml", "inputs = 1\nx = " + "[" * 5000 + "]" * 5000 + "\n")
    refused(["derive", spec], "nested too deeply")


def test_integer_too_large_for_a_float_in_a_spec(tmp_path):
    big = "1" + "0" * 400
    spec = write(tmp_path, "big.toml", f"inputs = 1\n[[layers]]\nunits = 1\nweights = [[{big}]]\n")
    line = refused(["derive", spec], "layers[1].weights[0][0]: expected a number within float")
    assert "integer of about 401 digits" in line and big not in line
    spec = write(
        tmp_path, "rate.toml", f"learning_rate = {big}\ninputs = 1\n[[layers]]\nunits = 1\n"
    )
    refused(["derive", spec], "learning_rate")
    spec = write(
        tmp_path, "train.toml", f"inputs = 1\n[[layers]]\nunits = 1\n[train]\nlr = {big}\n"
    )
    refused(["train", spec, "--data", "and", "--steps", "1"], "train.lr")


def test_data_that_is_not_a_list_of_rows(tmp_path):
    spec = write(tmp_path, "data.toml", "inputs = 1\n[[layers]]\nunits = 1\n[data]\nx = 1\ny = 1\n")
    refused(["derive", spec], "data.x: expected a list of rows")


def test_unicode_digits_are_not_numbers(tmp_path):
    refused(["derive", EXAMPLE, "--wrt", "²"], "cannot read parameter choice '²'")
    csv = write(tmp_path, "d.csv", "x1,x2,y\n0,1,1\n1,0,0\n")
    refused(
        ["train", EXAMPLE, "--data", csv, "--x-columns", "²,x2", "--y-columns", "y"],
        "unknown column '²'",
    )
    refused(
        ["train", EXAMPLE, "--data", csv, "--x-columns", "9" * 5000, "--y-columns", "y"],
        "unknown column",
    )


def test_saturated_softmax_with_cross_entropy(tmp_path):
    # Once a ZeroDivisionError; the fused, stable evaluation (symnn.rules.fused) now gives a
    # correct result: finite worked numbers, and a check that passes.
    spec = write(tmp_path, "softmax.toml", SOFTMAX_SATURATED)
    derived = ran(["derive", spec, "--numeric", "--format", "md"])
    assert derived.code == 0 and "nan" not in derived.stdout.lower()
    checked = ran(["check", spec])
    assert checked.code == 0 and "PASS" in checked.stdout


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("x^sigmoid(1e300)", "exponent"),
        ("atan(tan(1e300))", "SymPy cannot evaluate atan"),
        ("x + log(0)", "log(...) is undefined"),
        ("x*(10^1000)^5", "a power with about 5000 digits"),
        ("x" + "*10^1000" * 5, "an exact number of over 4000 digits"),
    ],
)
@pytest.mark.parametrize("fmt", ["text", "py"])
def test_calc_expressions_sympy_cannot_handle(expression, message, fmt):
    refused(["calc", "gradient", "--at", "1", "--format", fmt, "--", expression], message)


def test_calc_prints_an_exact_number_of_thousands_of_digits_as_code():
    out = ran(["calc", "gradient", "--format", "py", "x*(10^1000)^3"]).stdout
    assert "1" + "0" * 3000 in out
    out = ran(["calc", "derivative", "x^5", "--at", "10^1000"]).stdout  # past Python's 4,300
    assert "5" + "0" * 4000 in out


def test_perceptron_beyond_float_range(tmp_path):
    refused(["perceptron", "--gate", "and", "--bias", "1e400", "--no-exact"], "beyond float range")
    csv = write(tmp_path, "p.csv", "x1,x2,y\n1" + "0" * 400 + ",1,1\n0,0,0\n")
    refused(["perceptron", "--csv", csv, "--no-exact"], "beyond float range")
    exact = ran(["perceptron", "--csv", csv, "--json"])  # exact arithmetic: a correct result
    assert strict_json(exact.stdout)["converged"] is True
    refused(["perceptron", "--csv", csv, "--plot", str(tmp_path / "p.png")], "too large to draw")
    refused(["train", EXAMPLE, "--data", csv, "--steps", "1"], "expected finite numbers")


def test_perceptron_float_arithmetic_that_overflows():
    line = refused(
        ["perceptron", "--gate", "or", "--weights", "1e308,1e308", "--bias=-1e308", "--no-exact"]
        + ["--lr", "1e308"],
        "overflowed",
    )
    assert "drop --no-exact" in line


def test_plot_onto_a_folder(tmp_path):
    refused(["perceptron", "--gate", "and", "--plot", "."], ".: is a folder")
    refused(["perceptron", "--gate", "and", "--plot", str(tmp_path)], "is a folder")


def test_training_plot_with_more_classes_than_named_colours(tmp_path):
    spec = write(tmp_path, "nine.toml", "inputs = 2\nloss = 'softmax_cross_entropy'\n")
    Path(spec).write_text(Path(spec).read_text() + "[[layers]]\nunits = 9\n")
    rows = "".join(f"{k / 10},{k % 3},{k % 9}\n" for k in range(27))
    csv = write(tmp_path, "nine.csv", "a,b,label\n" + rows)
    plot = tmp_path / "nine.png"
    ran(
        ["train", spec, "--data", csv, "--x-columns", "a,b", "--y-columns", "label"]
        + ["--one-hot", "--steps", "2", "--plot", str(plot)],
        bound=60,
    )
    assert plot.read_bytes().startswith(b"\x89PNG")


# --- no answer in bounded time: guards that refuse early, with a reason ---------------------------


@pytest.mark.parametrize("level", ["element", "matrix"])
def test_deep_narrow_network_is_refused_at_once(tmp_path, level):
    spec = write(tmp_path, "chain.toml", chain(500))
    refused(["derive", spec, "--level", level], "500 layers, over the limit of 100", bound=5)
    if level == "element":
        refused(["check", spec], "over the limit of 100", bound=5)


def test_huge_exponent_in_exact_perceptron_arithmetic(tmp_path):
    refused(["perceptron", "--gate", "and", "--lr", "1e100000000"], "exponent 100000000", bound=5)
    csv = write(tmp_path, "p.csv", "x1,y\n1e100000000,1\n0,0\n")
    refused(["perceptron", "--csv", csv], "too large for exact arithmetic", bound=5)
    refused(["perceptron", "--gate", "and", "--lr", "1" * 5000], "at most 1000 characters")


def test_calc_at_a_point_whose_values_are_astronomical():
    line = refused(["calc", "gradient", "--at=exp(10**6),1", "--", "exp(x*y)"], "10^434,294", 5)
    assert "x = exp(1000000), y = 1" in line
    refused(["calc", "gradient", "--at", "1000000", "exp(exp(x))"], "arises", bound=5)
    refused(["calc", "hessian", "--at", "30000", "cosh(x)"], "arises", bound=5)


def test_descent_into_complex_values_or_nothing_to_plot(tmp_path):
    plot = str(tmp_path / "gd.png")
    out = ran(["calc", "descent", "--from=2", "--steps", "1", "--lr=0.5", "--", "--(x^x)"])
    assert "stopped at step" in out.stdout
    argv = ["calc", "descent", "--from=1e300", "--steps", "0", "--plot", plot, "sigmoid(-y)"]
    outcome = ran(argv)
    assert outcome.code == 0 or outcome.clean_error


def test_a_point_where_f_is_undefined_is_named_as_such():
    refused(
        ["calc", "gradient", "log(x)", "--at", "0"], "f is not defined (finite and real) at x = 0"
    )


def test_exact_descent_whose_digits_double_each_step():
    out = ran(["calc", "descent", "1/x", "--from", "1", "--lr", "0.1", "--steps", "50", "--exact"])
    assert "stopped at step" in out.stdout and "(over 1,000); use floats" in out.stdout
    run = strict_json(
        ran(["calc", "descent", "1/x", "--from", "1", "--steps", "50", "--exact", "--json"]).stdout
    )
    assert run["stopped"].startswith("stopped at step") and len(run["iterates"]) < 50


# --- wrong or invalid output with exit 0 ----------------------------------------------------------


def test_values_beyond_float_range_are_exact_never_inf():
    text = ran(["calc", "gradient", "exp(x)", "--at", "1000"]).stdout  # one variable: f′(a)
    assert "slope f′ at the point: exp(1000)" in text and "inf" not in text
    text = ran(["calc", "gradient", "exp(x) + y", "--at", "1000,0"]).stdout
    assert "magnitude |∇f|: √(1 + exp(2000))" in text and "inf" not in text
    data = strict_json(ran(["calc", "gradient", "exp(x)", "--at", "1000", "--json"]).stdout)
    assert data["values"]["magnitude"] is None and data["exact"]["magnitude"] == "exp(1000)"
    assert data["values"]["gradient"] == [None]


def test_json_never_holds_infinity_or_nan(tmp_path):
    from symnn.cli.commands.output import json_text

    assert json.loads(json_text({"a": [float("inf"), float("nan"), 1.5]})) == {
        "a": [None, None, 1.5]
    }
    out = ran(["train", EXAMPLE, "--lr", "1e300", "--steps", "3", "--json"]).stdout
    strict_json(out)


def test_no_temporary_file_is_left_by_any_of_these(tmp_path):
    spec = write(tmp_path, "chain.toml", chain(500))
    out = tmp_path / "notes.md"
    out.write_text("keep me\n")
    refused(["derive", spec, "--format", "md", "-o", str(out)], "over the limit of 100")
    assert out.read_text() == "keep me\n" and temporary_files(tmp_path) == []


def test_a_usage_error_echoes_control_characters_on_one_line():
    outcome = run_cli(["check", "two_two_two", "--gates", "--a\nb\x00\udc2d"])
    assert outcome.clean_error, outcome.describe()
    last = outcome.stderr.strip().split("\n")[-1]
    assert last.startswith("symnn") and "--a\\nb\\x00\\udc2d" in last
