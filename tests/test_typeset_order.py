"""What is typeset is what the engine derived: every rendered matrix-level row, read back from
the LaTeX and Markdown documents and the notebook view (see tests/latex_readback.py: the text is
parsed back, not re-rendered), states the engine's expression with every product in its order;
every matrix document states each quantity's shape, and a product that does not conform is an
error before anything is rendered.
"""

import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from symnn.core.errors import SymnnError
from symnn.core.matexpr import Diag, Jac
from symnn.core.steps import Derivation, Section, Step
from symnn.engine.matrix import derive_matrix
from symnn.engine.shapes import check_shapes
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


def test_matrix_documents_state_every_shape():
    derivation = derive_matrix(SOFTMAX_CE)  # a 2-2-3 network
    for fmt in FORMATS[:3]:
        text = render_derivation(derivation, fmt)
        assert r"W^{(2)} \in \mathbb{R}^{3 \times 2}" in text, fmt
        assert r"\delta^{(1)} \in \mathbb{R}^{2}" in text, fmt
        assert r"X \in \mathbb{R}^{N \times 2}" in text, fmt


def test_a_product_that_does_not_conform_is_an_error_not_output():
    derivation = derive_matrix(SOFTMAX_CE)
    layers = derivation.context["layers"]
    # SymPy refuses to build it; a bug in a rule could still assemble one node by node.
    W2, J1 = layers[1].W, sp.MatAdd(Diag(layers[0].a), sp.MatMul(-1, layers[0].a, layers[0].a.T))
    bad = Step(
        Jac(layers[0].a, layers[0].a_prev), sp.Basic.__new__(sp.MatMul, J1, W2), "substitution"
    )
    broken = Derivation("bad", (Section(bad.lhs, (bad,)),), (), dict(derivation.context))
    with pytest.raises(SymnnError, match=r"shape error .* does not conform"):
        render_derivation(broken, "md")
    check_shapes(derivation)  # the engine's own steps all conform


@settings(max_examples=10, deadline=None)
@given(networks())
def test_random_matrix_derivations_conform(net):
    check_shapes(derive_matrix(net))
