"""What is typeset is what the engine derived: every rendered matrix-level row, read back from
the LaTeX and Markdown documents and the notebook view (see tests/latex_readback.py: the text is
parsed back, not re-rendered), states the engine's expression with every product in its order.
"""

import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from symnn.engine.matrix import derive_matrix
from symnn.output.document import render_derivation
from symnn.printing.latex import SymnnLatexPrinter
from symnn.printing.text import text
from symnn.spec.network import Dense, Network
from tests.latex_readback import read_back, rendered_rows, same_order
from tests.test_properties import networks

FORMATS = ["tex", "md", "beamer", "aligned"]


def expected_rows(derivation, fmt):
    """The (lhs, rhs) of every row the document displays, in the order it displays them."""
    steps = [s for section in derivation.sections for s in section.steps]
    results = [s for s in derivation.results if s.rule != "expanded"]
    return steps + results


def assert_rendered_in_order(derivation, fmt):
    printer = SymnnLatexPrinter()
    rows = rendered_rows(render_derivation(derivation, fmt))
    steps = expected_rows(derivation, fmt)
    assert len(rows) == len(steps), (fmt, len(rows), len(steps))
    checked = 0
    previous = None
    for row, step in zip(rows, steps, strict=True):
        if row.lhs:
            assert row.lhs == printer.doprint(step.lhs), (fmt, row.lhs, step.lhs)
        elif fmt != "beamer":  # a slide that continues a row names its lhs again
            assert step.lhs == previous, (fmt, step)
        previous = step.lhs
        if isinstance(step.rhs, sp.MatrixExpr):
            assert same_order(row.rhs, step.rhs, printer), (fmt, row.rhs, text(step.rhs))
            checked += 1
    assert checked > 0


SOFTMAX_CE = Network(2, [Dense(2, "softmax"), Dense(3, "sigmoid")], "cross_entropy")


@pytest.mark.parametrize("fmt", FORMATS)
def test_softmax_jacobian_stays_left_of_the_weights(fmt):
    # The line breaker once printed W (diag(a) − a aᵀ) for (diag(a) − a aᵀ) W (issue 12).
    assert_rendered_in_order(derive_matrix(SOFTMAX_CE), fmt)


def test_the_read_back_sees_a_swapped_product():
    printer = SymnnLatexPrinter()
    A, B, C = (sp.MatrixSymbol(n, 2, 2) for n in "ABC")
    right = sp.MatMul(sp.MatAdd(A, B), C)
    assert same_order(r"\left(A + B\right) \cdot C", right, printer)
    assert same_order(r"A C + B C", right, printer)
    assert not same_order(r"C \cdot \left(A + B\right)", right, printer)
    assert not same_order(r"C A + C B", right, printer)
    assert read_back(r"A^{T} B", {"A", "B"}) != read_back(r"B A^{T}", {"A", "B"})


def test_text_and_notebook_views_keep_the_order():
    derivation = derive_matrix(SOFTMAX_CE)
    product = next(s.rhs for s in derivation.steps if str(s.rule) == "substitution")
    assert text(product).index("diag") < text(product).index("W")
    assert_rendered_in_order(derivation, "aligned")  # Jupyter's _repr_latex_
    assert derivation._repr_latex_() == render_derivation(derivation, "aligned")


@settings(max_examples=10, deadline=None)
@given(networks(), st.sampled_from(FORMATS))
@example(SOFTMAX_CE, "tex")
def test_random_networks_render_every_product_in_order(net, fmt):
    assert_rendered_in_order(derive_matrix(net), fmt)
