"""Safe expression input: maths parses to SymPy, anything else is refused, nothing runs."""

import builtins
import time

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from symnn.core.errors import SymnnError
from symnn.core.expressions import (
    parse_expression,
    parse_point,
    parse_variables,
    resolve_variables,
    symbol,
    variables_in,
)

x, y, z = symbol("x"), symbol("y"), symbol("z")

GOOD = [
    ("x**2 + 4*y**2", x**2 + 4 * y**2),
    ("exp(-x)*sin(y)", sp.exp(-x) * sp.sin(y)),
    ("x^2 + 4*y^2", x**2 + 4 * y**2),  # ^ is power, with power's precedence
    ("2^-1", sp.Rational(1, 2)),
    ("-x**2", -(x**2)),
    ("0.1*x", x / 10),  # decimals are exact
    ("1e-3 + 1_000", sp.Rational(1, 1000) + 1000),
    ("ln(x) - log(x, 2)", sp.log(x) - sp.log(x) / sp.log(2)),
    ("sqrt(x)*tanh(y)/abs(z)", sp.sqrt(x) * sp.tanh(y) / sp.Abs(z)),
    ("pi*e", sp.pi * sp.E),
    ("cos(x)+tan(y)+asin(z)+acos(x)+atan(y)+sinh(z)+cosh(x)", None),
]


@pytest.mark.parametrize(("text", "expected"), GOOD)
def test_mathematics_parses(text, expected):
    parsed = parse_expression(text)
    if expected is not None:
        assert sp.simplify(parsed - expected) == 0


def test_sigmoid_is_symnn_sigmoid_with_its_derivative():
    parsed = parse_expression("sigmoid(x)")
    s = 1 / (1 + sp.exp(-x))
    derivative = sp.diff(parsed, x).subs(parsed, s)
    assert sp.simplify(derivative - sp.diff(s, x)) == 0


HOSTILE = [
    ("__import__('os').system('id')", "calling anything but a named function"),
    ("().__class__", "attribute access"),
    ("x.__class__", "attribute access"),
    ("lambda: 1", "lambda"),
    ("[x for x in y]", "comprehensions"),
    ('"a"', "strings"),
    ("1 if x else 2", "conditional"),
    ("x" * 10_000, "at most 2000 characters"),
    ("(" * 500 + "x" + ")" * 500, "nested 500 deep"),
    ("__x", "the name '__x'"),
    ("x[0]", "subscripts"),
    ("exp(x=1)", "keyword arguments"),
    ("exp(*x)", "starred arguments"),
    ("import os", "not a formula"),
    ("x; y", "not a formula"),
    ("x == 1", "comparisons"),
    ("x and y", "'and'/'or'"),
    ("x % 2", "'%'"),
    ("f(x)", "unknown function 'f'"),
    ("exp", "exp is a function"),
    ("True", "the constant True"),
    ("1j*x", "the constant 1j"),
    ("(x := 1)", "assignment"),
    ("9**9**9", "too large"),
    ("((10**300)**30)**30", "digits"),
    ("1e999999*x", "exponent beyond"),
    ("2x", "write products with '*'"),
    ("", "empty"),
]


@pytest.mark.parametrize(("text", "message"), HOSTILE)
def test_hostile_input_is_refused_clearly(text, message, monkeypatch, tmp_path):
    def forbidden(*args, **kwargs):
        raise AssertionError("user text reached eval/exec")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    start = time.perf_counter()
    with pytest.raises(SymnnError) as error:
        parse_expression(text)
    assert time.perf_counter() - start < 0.5  # fails fast
    assert message in str(error.value)
    assert len(str(error.value).splitlines()) == 1


def test_nothing_is_executed(tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(SymnnError):
        parse_expression(f"__import__('os').system('touch {marker}')")
    assert not marker.exists()


def test_variables_in_order_of_first_appearance_not_sorted():
    assert variables_in("y**2 + x*z") == (y, x, z)
    assert variables_in("b + a", "c*a") == tuple(map(symbol, "bac"))
    assert resolve_variables(["x + y"], "y,x") == (y, x)


def test_declared_variables_refuse_others():
    with pytest.raises(SymnnError, match="unknown variable 'z'; known: x, y"):
        parse_expression("x + z", ["x", "y"])


@pytest.mark.parametrize("bad", ["x,x", "1x", "x,,y", "pi", "exp", "for", "a__"])
def test_bad_variable_lists(bad):
    with pytest.raises(SymnnError):
        parse_variables(bad)


def test_points_are_exact():
    assert parse_point("1,2") == (1, 2)
    assert parse_point("(1, 1/2)") == (1, sp.Rational(1, 2))
    assert parse_point("[0.01, -0.005]") == (sp.Rational(1, 100), -sp.Rational(1, 200))
    assert parse_point("-3") == (-3,)
    assert parse_point("pi/4, sqrt(2)") == (sp.pi / 4, sp.sqrt(2))


@pytest.mark.parametrize("bad", ["x, 1", "1,,2", "'a'", "", "sqrt(-1)", "(1, (2, 3))"])
def test_bad_points(bad):
    with pytest.raises(SymnnError):
        parse_point(bad)


coefficients = st.integers(-9, 9)


@given(coefficients, coefficients, coefficients, st.integers(0, 4), st.integers(0, 4))
def test_printed_expressions_parse_back(a, b, c, m, n):
    expr = a * x**m * sp.exp(b * y) + c * sp.sin(x * y) ** n - sp.Rational(a, 7)
    assert sp.simplify(parse_expression(sp.sstr(expr)) - expr) == 0
