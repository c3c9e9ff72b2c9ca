"""The refresher's steps as a person writes them: the point substituted in place
(3·1² + 1, never a step that repeats the line above), factors in reading order (3x²y), one
variable in its own notation (f″, the textbook Taylor polynomial), points by name, f(1, 2)."""

import re
from types import SimpleNamespace

import pytest
import sympy as sp

from symnn.calculus.calculus import derivative, gradient
from symnn.calculus.taylor import hessian, jacobian_of, taylor
from symnn.calculus.worked import exact
from symnn.cli.main import main
from symnn.output.refresher import _printer, render_refresher, text

F = "3*x**2*y + x*y"


@pytest.fixture
def cli(capsys):
    def run(*args):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit:
            code = exit.code
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return run


def _all(run):
    return {fmt: render_refresher(run, fmt) for fmt in ("text", "tex", "md")}


def _rows(tex: str) -> list[str]:
    """The right sides of a LaTeX document's steps."""
    return re.findall(r"&= (.*?) &&", tex)


DERIVATIONS = [
    lambda: gradient(F, at="1,2"),
    lambda: gradient(F, at="-1,1/2"),
    lambda: taylor("x**3 - 2*x", at="1"),
    lambda: taylor("exp(x)*y", at="0,1"),
    lambda: hessian("x**3 + x*y**2", at="1,1"),
    lambda: hessian("x**3", at="1"),
    lambda: jacobian_of(["x*y", "x + y"], at="1,1"),
    lambda: derivative("x**2", at="1"),
]


@pytest.mark.parametrize("build", DERIVATIONS)
def test_no_step_repeats_the_line_above_and_every_substitution_is_true(build):
    run = build()
    for section in run.sections:
        for before, step in zip(section.steps, section.steps[1:], strict=False):
            same = before.lhs == step.lhs and text(before.rhs) == text(step.rhs)
            assert not same, f"{step.lhs} = {step.rhs} repeats the line above"
        # every worked line states the value the last line of its run gives
        worked = [s for s in section.steps if s.rule in ("substitute_point", "evaluate_at_point")]
        if worked and not worked[-1].rhs.free_symbols:
            for step in worked:
                if step.lhs == worked[-1].lhs:
                    assert exact(step.rhs) == exact(worked[-1].rhs), step


def test_the_substituted_line_shows_the_point_in_place():
    docs = _all(gradient(F, at="1,2"))
    assert "∂f/∂y at (x=1, y=2) = 3·1² + 1    [substitute the point" in docs["text"]
    assert docs["text"].count("= 3 + 1    [") == 1
    assert r"3 \cdot 1^{2} + 1" in docs["tex"] and r"3 \cdot 1^{2} + 1" in docs["md"]
    assert _rows(docs["tex"]).count("3 + 1") == 1
    docs = _all(taylor("x**3 - 2*x", at="1"))
    assert "f(1) = 1³ - 2·1    [substitute" in docs["text"]
    assert r"f(1) &= 1^{3} - 2 \cdot 1 &&" in docs["tex"]
    assert r"$f(1) = 1^{3} - 2 \cdot 1$" in docs["md"]
    assert docs["text"].count("= 3 - 2    [") == 1 and _rows(docs["tex"]).count("3 - 2") == 1


def test_negative_and_fractional_points_are_bracketed():
    docs = _all(gradient(F, at="-1,1/2"))
    assert "f(-1, 0.5) = 3(-1)²·0.5 + (-1)·0.5" in docs["text"]
    assert r"3 \cdot \left(-1\right)^{2} - 1" in docs["tex"]  # ∂f/∂y = 3x² + x
    for doc in docs.values():
        assert "-1²" not in doc and "-1^{2}" not in doc


def test_products_print_in_reading_order_in_every_format():
    docs = _all(gradient(F, at="1,2"))
    assert "f: 3x²y + xy" in docs["text"] and "∂(3x²y)/∂x" in docs["text"]
    assert "f(1, 2) = 3·1²·2 + 1·2" in docs["text"]
    for fmt in ("tex", "md"):
        assert r"3 x^{2} y + x y" in docs[fmt] and "3 y x^{2}" not in docs[fmt]
        assert r"3 \cdot 1^{2} \cdot 2 + 1 \cdot 2" in docs[fmt]
    assert "yx²" not in docs["text"]
    # a product built in an order of its own (the perceptron table's x₁w₁) keeps it
    built = sp.Mul(sp.Symbol("y"), sp.Symbol("x"), evaluate=False)
    assert text(built) == "yx" and _printer({}).doprint(built) == "y x"
    # a worked sum of numbers keeps the order it was built in
    worked = render_refresher(gradient("(x - 3)**2 + 2*(y + 1)**2", at="0.6,-0.4"), "text")
    assert "= 5.76 + 0.72    [" in worked


def test_the_hessian_of_one_variable_is_its_second_derivative():
    run = hessian("x**3", at="2")
    docs = _all(run)
    assert "f″(x) = 6x" in docs["text"] and "f″(2) = 12" in docs["text"]
    assert "second derivative f″" in docs["text"]
    for doc in docs.values():
        assert "H =" not in doc and "H &=" not in doc and "∂" not in doc
        assert r"\partial" not in doc and "[(6x)]" not in doc
    assert r"f''(x) &= 6 x" in docs["tex"] and r"f''(2) &= 12" in docs["tex"]
    assert "At the point f\\ensuremath{''} is positive" in docs["tex"]
    assert run.context["values"]["hessian"] == sp.Matrix([[12]])
    # several variables keep the matrix
    assert "H = [(6x, 2y), (2y, 2x)]" in render_refresher(hessian("x**3 + x*y**2"), "text")


def test_taylor_of_one_variable_reads_as_the_textbook_polynomial():
    run = taylor("x**3 - 2*x", at="1")
    docs = _all(run)
    plain = docs["text"]
    assert plain.startswith("Taylor expansion of f to order 2 at x = 1\n")
    assert "t_1 = f′(1)(x - 1)" in plain and "t_1 = (x - 1)" in plain
    assert "1(x - 1)" not in plain
    assert "t_2 = f″(1)/2!·(x - 1)²" in plain and "T_2 = -1 + (x - 1) + 3(x - 1)²" in plain
    # the numbers table gives the polynomial expanded, not SymPy's half-collected x + 3(x − 1)² − 2
    assert "Taylor polynomial T₂: 3x² - 5x + 1" in plain
    assert r"t_{1} &= \left(x - 1\right) &&" in docs["tex"]
    assert r"t_{2} &= \frac{f''(1)}{2!} \left(x - 1\right)^{2}" in docs["tex"]
    for doc in docs.values():
        assert "α" not in doc and "at (1)" not in doc
    x = sp.Symbol("x", real=True)
    T = run.results[0].rhs.doit()
    assert sp.expand(T - sp.series(x**3 - 2 * x, x, 1, 3).removeO()) == 0
    # several variables keep the multi-index wording
    assert "|α| = 1" in render_refresher(taylor("exp(x)*y", at="0,1"), "text")
    # a fraction for a point is bracketed to its height
    tall = render_refresher(taylor("exp(x)", at="1/3", order=1), "tex")
    assert r"f'\left(\frac{1}{3}\right) &= " in tall and r"f'(\frac" not in tall
    # a third derivative is named as one, not as a second
    third = render_refresher(taylor("x**4", at="1", order=3), "text")
    assert "f‴(x) = 24x    [higher derivative" in third
    mixed = render_refresher(taylor("x**3*y", at="1,1", order=3), "text")
    assert "∂³f/∂x³ = 6y    [higher partial derivative]" in mixed


def test_a_point_by_name_in_any_order(cli):
    plain = cli("calc", "gradient", F, "--at", "1,2").stdout
    assert cli("calc", "gradient", F, "--at", "x=1,y=2").stdout == plain
    assert cli("calc", "gradient", F, "--at", "y=2, x=1").stdout == plain
    assert cli("calc", "taylor", "x**3", "--at=x=-1").returncode == 0
    unknown = cli("calc", "gradient", F, "--at", "x=1,z=2")
    assert unknown.returncode == 2 and "unknown variable 'z'; the variables are x, y" in (
        unknown.stderr
    )
    missing = cli("calc", "hessian", F, "--at", "x=1")
    assert missing.returncode == 2 and "no value for y" in missing.stderr
    assert "Traceback" not in unknown.stderr + missing.stderr


def test_latex_writes_f_at_a_point_as_f_of_its_numbers():
    tex = render_refresher(gradient(F, at="1,2"), "tex")
    assert r"f(1, 2) &= " in tex and r"f{\left(" not in tex
    tall = render_refresher(gradient(F, at="1/3,2"), "tex")
    assert r"f\left(\frac{1}{3}, 2\right) &= " in tall
    stepped = render_refresher(taylor("x**2", at="1", step="0.1"), "tex")
    assert r"T_{2}(1.1) &= " in stepped
