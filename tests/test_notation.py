"""The one registry of the quantities layer kinds add: every entry parses back and typesets."""

from __future__ import annotations

import sympy as sp

import symnn.layers  # noqa: F401  (registers every layer kind and its quantities)
from symnn.core import notation as nt
from symnn.printing.session import document_text


def test_every_layer_quantity_is_in_the_one_registry():
    # The recurrent families and the normalisation/attention quantities: one registry each level.
    for name in ("h", "zt", "u", "mu", "xhat", "attq", "wq"):
        assert name in nt.QUANTITIES
    for name in ("hseq", "Wih", "nXhat", "attQ", "WQ"):
        assert name in nt.MATRIX_QUANTITIES
    assert not hasattr(nt, "FAMILIES") and not hasattr(nt, "MATRIX_FAMILIES")


def test_every_quantity_parses_back_and_typesets_with_its_adjoint():
    shape = nt.Shape((2, 2))
    layered = nt.NOTATIONS["layered"]
    for name in nt.QUANTITIES:
        entry = nt.quantity(name, 1, 2, 3)
        adjoint = nt.adjoint_quantity(entry)
        assert nt.parse(entry) == (name, (1, 2, 3))
        assert nt.parse(adjoint) == (f"dL_d{name}", (1, 2, 3))
        printed, printed_adjoint = layered.latex(entry, shape), layered.latex(adjoint, shape)
        assert "(1)" in printed and "(1)" in printed_adjoint
        assert printed_adjoint.startswith(r"\frac{\partial L}") or "delta" in printed_adjoint


def test_the_two_print_styles_of_one_registry():
    layered, shape = nt.NOTATIONS["layered"], nt.Shape((2, 2))
    # dense-style (a family): unbraced, indices joined by commas; δ is ∂L/∂z_t's own head
    assert layered.latex(nt.quantity("h", 1, 2, 3), shape) == "h^{(1)}_{2,3}"
    delta = nt.adjoint_quantity(nt.quantity("zt", 1, 2, 3))
    assert layered.latex(delta, shape) == r"\delta^{(1)}_{2,3}"
    assert document_text(delta) == "δ⁽¹⁾₂,₃"
    # braced, so a power of it reads right; its adjoint ∂L/∂(it)
    assert layered.latex(nt.QUANTITIES["var"](1, 2), shape) == r"{\sigma^{2\,(1)}_{2}}"
    dmu = nt.QUANTITIES["mu"].adjoint(1, 2)
    assert layered.latex(dmu, shape) == r"\frac{\partial L}{\partial {\mu^{(1)}_{2}}}"
    assert document_text(dmu) == "dL_dmu_1_2"  # no text head: SymPy's own name


def test_matrix_quantities_typeset_and_write_out_their_entries():
    h = nt.family_matrix("hseq", 1, 2, shape=(3, 1))
    assert nt.matrix_latex(h) == "h^{(1)}_{2}"
    assert nt.matrix_latex(nt.MATRIX_QUANTITIES["Wih"](1, 2, 2)) == r"W_{\mathrm{ih}}^{(1)}"
    assert nt.matrix_latex(nt.MATRIX_QUANTITIES["nXhat"](2, 3, 3)) == r"{\hat{X}^{(2)}}"
    found, indices = nt.find_matrix_quantity(h)
    explicit = found.explicit(h, None, indices)
    assert explicit == sp.Matrix([nt.quantity("h", 1, 2, j) for j in (1, 2, 3)])
