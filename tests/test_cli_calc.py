"""``symnn calc`` and ``symnn perceptron`` end to end: a subprocess as a user runs them for the
main paths, and ``symnn.cli.main.main`` in-process for the many variants (same parser, same code, a
fraction of the start-up time)."""

import json
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from symnn.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
KINDS = ["derivative", "gradient", "directional", "linear", "taylor", "jacobian", "hessian"]


def symnn(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "symnn", *map(str, args)], cwd=cwd, capture_output=True, text=True
    )


@pytest.fixture
def cli(capsys):
    """Run the command line in-process; returns returncode, stdout and stderr like subprocess."""

    def run(*args):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit:  # argparse: --help, usage errors
            code = exit.code
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return run


def test_help_on_every_subcommand(cli):
    top = symnn("--help")
    assert "calc" in top.stdout and "perceptron" in top.stdout
    for kind in [*KINDS, "descent"]:
        result = cli("calc", kind, "--help")
        assert result.returncode == 0 and "--format" in result.stdout
    assert cli("perceptron", "--help").returncode == 0


def test_gradient_worked_example_json():
    result = symnn(
        "calc", "linear", "x**2 + 4*y**2", "--at", "1,1", "--step", "0.01,0.005", "--json"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["values"]["gradient"] == [2, 8]
    assert round(data["values"]["magnitude"], 6) == 8.246211
    assert data["values"]["linear_change"] == 0.06 and data["exact"]["linear_change"] == "3/50"
    assert data["values"]["exact_change"] == 0.0602


def test_directional_text(cli):
    result = cli("calc", "directional", "x**2 + 3*x*y + y**2", "--at", "1,1", "--direction", "1,1")
    assert result.returncode == 0, result.stderr
    assert "5√2 ≈ 7.071067812" in result.stdout
    assert "normalised" in result.stdout


def test_terminal_text_is_unicode_maths_in_the_users_form(cli):
    """The terminal reads like a textbook (3x², √, 2·1), never SymPy's input syntax."""
    out = cli("calc", "derivative", "2*(x - 3)**2 + sqrt(x)", "--at", "1").stdout
    assert "d(2(x - 3)²" in out and "√x" in out and "2(1 - 3)²" in out
    assert "**" not in out and "*" not in out.replace("×", "") and "sqrt" not in out
    grad = cli("calc", "gradient", "x**2 + 4*y**2", "--at", "1,1").stdout
    assert "= 1² + 4·1²" in grad and "∇f = (2x, 8y)" in grad and "2√17 ≈ 8.246211251" in grad
    hessian = cli("calc", "hessian", "x**2*y", "--at", "1,2").stdout
    assert "∂²f/∂x∂y = 2x" in hessian and "∂^2" not in hessian
    # The documents keep their own printers: LaTeX and Markdown maths are untouched.
    tex = cli("calc", "derivative", "2*(x - 3)**2", "--at", "1", "--format", "tex").stdout
    assert "²" not in tex and "·" not in tex


def test_tangent_lines(cli):
    data = json.loads(cli("calc", "linear", "x^2", "--at", "3", "--step", "0.01", "--json").stdout)
    assert (data["values"]["predicted"], data["values"]["exact_value"]) == (9.06, 9.0601)
    data = json.loads(
        cli("calc", "linear", "x**3 + 2*x", "--at", "2", "--step", "0.01", "--json").stdout
    )
    assert data["values"]["gradient"] == [14]
    assert (data["values"]["predicted"], data["values"]["exact_value"]) == (12.14, 12.140601)


def test_jacobian_hessian_taylor_json(cli):
    data = json.loads(cli("calc", "jacobian", "x**2 + y", "2*x + 3*y", "--json").stdout)
    assert data["values"]["matrix"] == [["2*x", 1], [2, 3]]
    data = json.loads(cli("calc", "hessian", "x**2 + 3*x*y + y**2", "--at", "1,1", "--json").stdout)
    assert data["values"]["hessian"] == [[2, 3], [3, 2]] and data["definiteness"] == "indefinite"
    data = json.loads(cli("calc", "taylor", "exp(x)", "--at", "0", "--order", "3", "--json").stdout)
    assert data["exact"]["polynomial"] == "x**3/6 + x**2/2 + x + 1"


def test_descent_table_and_plot(tmp_path):
    plot = tmp_path / "gd.png"
    result = symnn(
        "calc", "descent", "(x - 3)**2 + 2*(y + 1)**2", "--from", "0,0", "--lr", "0.1",
        "--steps", "2", "--exact", "--plot", plot,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any("(0.6, -0.4)" in line and line.rstrip().endswith("6.48") for line in lines)
    assert any("(1.08, -0.64)" in line and line.rstrip().endswith("3.9456") for line in lines)
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_descent_json_with_momentum(cli):
    result = cli(
        "calc", "descent", "(x - 3)**2 + 2*(y + 1)**2", "--from", "0,0", "--steps", "2",
        "--momentum", "0.9", "--json",
    )  # fmt: skip
    data = json.loads(result.stdout)
    assert data["iterates"][2]["point"] == pytest.approx([1.62, -1.0])


@pytest.mark.parametrize("fmt", ["tex", "md"])
def test_formats_and_output_file(cli, tmp_path, fmt):
    out = tmp_path / f"g.{fmt}"
    result = cli("calc", "gradient", "x**2 + 4*y**2", "--at", "1,1", "--format", fmt, "-o", out)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert ("\\paragraph" in text) if fmt == "tex" else text.startswith("# Gradient")


def test_numpy_source_runs_on_its_own(cli, tmp_path):
    # runpy.run_path starts from an empty namespace: the file must import what it uses.
    result = cli("calc", "gradient", "x**2 + 4*y**2", "--format", "py", "-o", tmp_path / "g.py")
    assert result.returncode == 0, result.stderr
    gradient = runpy.run_path(str(tmp_path / "g.py"))["gradient"]
    assert gradient(1, 1).tolist() == [2, 8]
    result = cli("calc", "hessian", "sigmoid(x)*y", "--format", "py")
    assert "import numpy\nfrom symnn.numerics import sigmoid\n" in result.stdout
    (tmp_path / "h.py").write_text(result.stdout)
    module = runpy.run_path(str(tmp_path / "h.py"))
    assert module["gradient"](0, 2).tolist() == [0.5, 0.5]
    result = cli("calc", "jacobian", "x*y", "sigmoid(x)", "--format", "py")
    (tmp_path / "j.py").write_text(result.stdout)
    assert runpy.run_path(str(tmp_path / "j.py"))["jacobian"](0, 1).tolist() == [[1, 0], [0.25, 0]]


@pytest.mark.parametrize("folder", ["gradient-descent", "calculus-refresher"])
def test_gallery_functions_run_on_their_own(folder):
    module = runpy.run_path(str(ROOT / "derivations" / folder / "functions.py"))
    assert module["gradient"](1, 1).shape == (2,) and module["hessian"](1, 1).shape == (2, 2)


def test_tex_document(cli):
    result = cli("calc", "hessian", "x*y", "--format", "tex", "--document")
    assert result.stdout.startswith("\\documentclass")


def test_perceptron_gate_table_and_plot(tmp_path):
    plot = tmp_path / "and.pdf"
    result = symnn("perceptron", "--gate", "and", "--plot", plot)
    assert result.returncode == 0, result.stderr
    assert "ŷ = 1 when w·x + b ≥ 0" in result.stdout
    assert "converged: epoch 6 had no errors" in result.stdout
    assert plot.read_bytes().startswith(b"%PDF")


def test_perceptron_xor_and_json(cli):
    data = json.loads(cli("perceptron", "--gate", "xor", "--epochs", "7", "--json").stdout)
    assert data["converged"] is False and data["separable"] is False and data["epochs"] == 7
    assert len(data["updates"]) == 28
    data = json.loads(cli("perceptron", "--gate", "or", "--json", "--lr", "1/2").stdout)
    assert data["weights"] == ["1/2", "1/2"] and data["bias"] == "-1/2"


def test_perceptron_csv_and_dot(cli, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("u,v,y\n2,1,1\n-1,-2,0\n1,3,1\n-3,1,0\n")
    result = cli("perceptron", "--csv", path, "--format", "md")
    assert result.returncode == 0, result.stderr
    assert "converged" in result.stdout
    data = json.loads(cli("perceptron", "--weights", "1,1", "--point", "1,0", "--json").stdout)
    assert data["values"]["angle"] == 45 and data["values"]["alignment"] == "aligned"


def test_perceptron_csv_names_cannot_inject_latex(cli, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("a\\input{x}$%,b_#^~,y\n1,2,1\n-1,-2,0\n")
    result = cli("perceptron", "--csv", path, "--format", "tex")
    assert result.returncode == 2 and "\\input" not in result.stdout
    assert "expected a letter then letters, digits or _" in result.stderr


def test_bad_input_in_a_subprocess():
    for args in (["calc", "gradient", "__import__('os').system('id')"], ["perceptron"]):
        result = symnn(*args)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert result.stderr.startswith("symnn: error: ")
        assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ["calc", "gradient", "__import__('os').system('id')"],
        ["calc", "gradient", "x.__class__"],
        ["calc", "gradient", "x" * 10_000],
        ["calc", "gradient", "x + y", "--at", "1"],
        ["calc", "descent", "exp(x)", "--from", "1", "--exact"],
        ["calc", "taylor", "x", "--at", "0", "--order", "50"],
        ["calc", "gradient", "x", "--format", "md", "--document"],
        ["calc", "gradient", "exp(exp(exp(1000)))*x*y", "--at", "1,1"],
        ["calc", "derivative", "log(x)", "--at", "0"],
        ["calc", "derivative", "log(x)", "--at=-1"],
        ["perceptron", "--csv", "/nonexistent/p.csv"],
        ["perceptron", "--gate", "and", "--weights", "1,2,3"],
        ["perceptron"],
    ],
)
def test_bad_input_exits_2_with_one_line(cli, args):
    result = cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("symnn: error: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_output_does_not_depend_on_the_hash_seed():
    outputs = []
    for seed in ("1", "2"):
        script = (
            "from symnn.gallery.refresher import worked_examples\n"
            "from symnn.output.refresher import render_refresher\n"
            "for name, item in worked_examples():\n"
            "    print(render_refresher(item, 'tex'), render_refresher(item, 'md'))\n"
        )
        env = {"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, env=env
        )
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is missing")
@pytest.mark.parametrize(
    "args",
    [
        ("calc", "gradient", "x**2 + 4*y**2", "--at", "1,1"),
        ("perceptron", "--gate", "and"),
        ("perceptron", "--weights", "1,1", "--point", "1,0"),
    ],
)
def test_pdf_format_compiles_the_article(tmp_path, args):
    out = tmp_path / "doc.pdf"
    result = subprocess.run(
        [sys.executable, "-m", "symnn", *args, "--format", "pdf", "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")
    missing = subprocess.run(
        [sys.executable, "-m", "symnn", *args, "--format", "pdf"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2 and "expected an output file with -o" in missing.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("gradient", "x**2*y", "--at", "0.5,1.5"),
        ("directional", "x**2*y", "--at", "0.5,1.5", "--direction", "1,1"),
        ("linear", "x**2*y", "--at", "0.5,1.5", "--step", "0.01,0.02"),
    ],
)
def test_point_labels_keep_the_users_decimals(cli, args):
    r = cli("calc", *args)
    out = r.stdout
    assert r.returncode == 0, r.stderr
    assert "(x=0.5, y=1.5)" in out and "x=1/2" not in out and "y=3/2" not in out


@pytest.mark.parametrize("fmt", ["text", "md", "tex"])
def test_one_variable_gradient_is_the_derivative(cli, fmt):
    """For one variable the gradient is f′(a): no |∇f|, no 1-vector, no Hessian quadratic form."""
    out = cli("calc", "gradient", "x**3 - 2*x", "--at", "1", "--format", fmt).stdout
    assert "∇f" not in out and "nabla" not in out and "magnitude" not in out
    assert "gradient is the derivative f" in out and "(one slope, no length)" in out
    linear = cli("calc", "linear", "x**3 - 2*x", "--at", "1", "--step", "0.1", "--format", fmt)
    assert "ΔxᵀHΔx" not in linear.stdout and "mathsf{T}" not in linear.stdout
    assert "∇f" not in linear.stdout and "(3x² - 2)" not in linear.stdout
    assert ("½f″(a)Δx²" if fmt == "text" else r"f''(a) \, \Delta x^{2}") in linear.stdout
    assert r"\mathbf{x}" not in linear.stdout
    if fmt == "tex":  # f″ in the words is LaTeX too (pdflatex stops at a bare U+2033)
        assert "″" not in linear.stdout and "f\\ensuremath{''}" in linear.stdout
    # Several variables keep the gradient's vector and the Hessian's quadratic form.
    several = cli("calc", "linear", "x**2 + 4*y**2", "--at", "1,1", "--step", "0.01,0.005")
    assert "½ΔxᵀHΔx = " in several.stdout and "|∇f| at (x=1, y=1) = 2√17" in several.stdout


def test_one_variable_directional_points_to_the_derivative(cli):
    result = cli("calc", "directional", "x**3", "--at", "1", "--direction", "1")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "one variable" in result.stderr and "use derivative" in result.stderr


@pytest.mark.parametrize("fmt", ["text", "md", "tex", "beamer"])
def test_one_variable_descent_speaks_of_f_prime_and_numbers(cli, fmt):
    out = cli("calc", "descent", "x**2 - 2*x + 6", "--from", "0", "--steps", "2", "--lr", "0.1",
              "--format", fmt).stdout  # fmt: skip
    assert "∇f" not in out and "nabla" not in out
    assert "x ← x − 0.1·f′(x)" in out or fmt in ("tex", "beamer")
    if fmt == "text":
        assert "f′ at the previous point" in out and "1  -2                        0.2" in out
    if fmt == "md":
        assert "| 1 | $-2$ | $0.2$ | $0.2$ | $5.64$ |" in out and "## $x_{1}$" in out
    several = cli(
        "calc", "descent", "x**2 + y**2", "--from", "1,1", "--steps", "1", "--format", fmt
    )
    assert ("∇f" in several.stdout) or ("nabla" in several.stdout)


def test_one_variable_descent_with_long_exact_points_names_f_of_x_k(cli):
    """Past short decimals a worked f is written f(x₂₀): the point's name, not a tuple."""
    out = cli(
        "calc", "descent", "x**2/3", "--from", "1", "--steps", "20", "--exact", "--format", "md"
    )
    assert out.returncode == 0, out.stderr
    assert "f(x_{20})" in out.stdout
