"""Text that leaks code instead of maths (issue 12 item 5), each found in a generated output.

Every case renders a fresh output the way a user gets it and looks for the leak as it was seen:
Python tuples "(2x, )" and "(2,)", SymPy's ``E`` and ``**``, a raw caret ("x^(n−1)"), ``D_u`` and
``T\\_2``, spec syntax in titles ("W1[1,1]"), raw LaTeX in prose ("W^{(l)}", "n_{l−1}").
"""

from __future__ import annotations

import re

import pytest
import sympy as sp

from symnn.calculus.calculus import derivative, directional_derivative, gradient
from symnn.calculus.taylor import taylor
from symnn.engine.element import derive
from symnn.engine.matrix import derive_matrix
from symnn.output.document import render_derivation
from symnn.output.refresher import render_refresher
from symnn.printing.text import latex_name, prose
from symnn.spec.network import Dense, Network

FORMATS = ("text", "md", "tex")


def _all_formats(item) -> dict[str, str]:
    return {fmt: render_refresher(item, fmt) for fmt in FORMATS}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_one_element_gradient_prints_as_a_point_not_a_python_tuple(fmt):
    out = render_refresher(gradient("x**2 + 2*x", at="3"), fmt)
    assert ",)" not in out and r",\right)" not in out
    expected = {
        "text": "df/dx = 2x + 2",  # one variable: the gradient is the derivative, no brackets
        "md": r"\frac{d f}{d x} = 2 x + 2",
        "tex": r"\frac{d f}{d x} &= 2 x + 2",
    }
    assert expected[fmt] in out


def test_a_one_element_point_in_a_title_reads_2_not_2_comma():
    for out in _all_formats(taylor("exp(x)", "2", 2)).values():
        assert "at x = 2" in out and "(2,)" not in out  # one variable: at x = 2, as textbooks
    for out in _all_formats(taylor("exp(x)*y", "2,1", 2)).values():
        assert "at (2, 1)" in out
    # (A directional derivative of one variable is refused: its directions are ±x.)


def test_rule_notes_write_powers_as_scripts_not_a_raw_caret():
    outs = _all_formats(derivative("x**3", at="1"))
    assert "n·xⁿ⁻¹ with n = 3" in outs["text"] and "n·xⁿ⁻¹" in outs["md"]
    assert r"x\ensuremath{^{n - 1}}" in outs["tex"]
    for out in outs.values():
        assert "^(n" not in out and "textasciicircum" not in out
    tex = render_refresher(taylor("x*y", "0,0", 3), "tex")
    assert "textasciicircum" not in tex and r"\partial}\ensuremath{^{\alpha}}" in tex


def test_a_factor_in_a_note_is_maths_not_code():
    for fmt, out in _all_formats(gradient("3*x*y**2", at="1,1")).items():
        assert "the factor 3·x stays" in out or fmt == "tex", fmt
        assert "the factor 3*x" not in out and "y**2 stays" not in out
    assert "the factor e stays" in render_refresher(derivative("e*x**2", at="1"), "text")


def test_euler_number_prints_as_e_in_text():
    out = render_refresher(derivative("e*x**2", at="1"), "text")
    assert not re.search(r"\bE\b", out)


def test_directional_and_taylor_labels_have_no_code_subscripts():
    outs = _all_formats(directional_derivative("x**2*y", "1,1", "1,2"))
    assert "D_u f" not in outs["md"] and "Dᵤf" in outs["md"]
    assert r"D\_u" not in outs["tex"] and r"D\ensuremath{_{u}}f" in outs["tex"]
    outs = _all_formats(taylor("exp(x)", "2", 2, step="0.1"))
    assert r"T\_2" not in outs["tex"] and r"T\ensuremath{_{2}}" in outs["tex"]
    assert "T_2" not in outs["md"] and "Taylor polynomial T₂" in outs["md"]


NET = Network(2, [Dense(2, "sigmoid"), Dense(2, "sigmoid")], "squared_error")


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_titles_name_parameters_as_the_document_does_not_in_spec_syntax(fmt):
    layered = render_derivation(derive(NET, ["W1[1,1]", "b2[1]"]), fmt)
    assert "Backpropagation: w⁽¹⁾₁₁, b⁽²⁾₁" in layered or fmt == "tex"
    assert "W1[1,1]" not in layered and "W1&#91;" not in layered
    neuron = render_derivation(derive(NET, "W2[1,1]"), fmt, notation="neuron")
    assert "Backpropagation: w₅" in neuron or fmt == "tex"
    assert "w⁽²⁾" not in neuron and "W2[1,1]" not in neuron
    if fmt == "tex":
        assert r"Backpropagation: w\ensuremath{^{( 1 )}}\ensuremath{_{1 1}}" in layered
        assert r"Backpropagation: w\ensuremath{_{5}}" in neuron


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_both_levels_state_the_conventions_in_prose_without_raw_latex(fmt):
    out = render_derivation(derive(NET, "all"), fmt, matrix=derive_matrix(NET))
    for leak in ("W^{(l)}", r"W^\{", "n_{l", r"n\_", "textasciicircum", "u_i", r"u\_i"):
        assert leak not in out, leak
    assert ("W⁽ˡ⁾ has shape (nₗ, nₗ₋₁)" in out) if fmt == "md" else ("has shape (n" in out)


def test_prose_and_latex_name_read_as_maths():
    x = sp.Symbol("x")
    assert prose(x**2 * 3) == "3·x²" and prose((sp.Rational(1, 2),)) == "(1/2)"
    assert prose(sp.pi * x) == "π·x" and prose(sp.Float(0.25)) == "0.25"
    assert latex_name(r"\delta^{(2)}_{1}") == "δ⁽²⁾₁"


_BRACKET = re.compile(r"\[(\w) = (\w)\]")


def _step_runs(net: Network):
    """Every run of steps read together: each equation of BP1–BP4, each section of a derivation."""
    from symnn.engine.fundamental import fundamental_equations

    for equation in fundamental_equations(net):
        yield list(equation.steps)
    for derivation in (derive(net, "all"), derive_matrix(net)):
        for section in derivation.sections:
            yield list(section.steps)


@pytest.mark.parametrize("net", [Network(2, [Dense(2, "sigmoid"), Dense(2, "sigmoid")], "mse")])
def test_a_rule_note_names_the_indices_of_the_bracket_beside_it(net):
    """BP1 read "the bracket [i = j] picks one term of the sum" beside a sum over k with [j = k]:
    a note that names a bracket names one its own derivation wrote, up to the step it explains."""
    from symnn.core.steps import RULES

    checked = 0
    for steps in _step_runs(net):
        for n, step in enumerate(steps):
            named = _BRACKET.search(RULES[step.rule])
            if named is None or step.rule == "jacobian_weights":  # that rule states the bracket
                continue
            brackets = {
                frozenset(map(str, delta.args))
                for earlier in steps[: n + 1]
                for side in (earlier.lhs, earlier.rhs)
                for delta in side.atoms(sp.KroneckerDelta)
            }
            assert frozenset(named.groups()) in brackets, (RULES[step.rule], brackets)
            checked += 1
    assert checked >= 2  # BP1's sum over the outputs and a weight gradient's sum over units


def test_a_jacobian_title_reads_as_maths_not_as_code():
    from symnn.calculus.taylor import jacobian_of

    for out in _all_formats(jacobian_of(["x**2", "sin(x)"], at="1")).values():
        assert "**" not in out.splitlines()[0] and "x\\*\\*2" not in out
        assert "(x², sin(x))" in out or "x\\ensuremath{^{2}}" in out
