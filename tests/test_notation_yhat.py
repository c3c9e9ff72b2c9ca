"""The ŷ notation (issue 18): the network's outputs written ŷ_j, every other quantity layered."""

from __future__ import annotations

import re

import pytest

from symnn.core import notation as nt
from symnn.engine import derive
from symnn.output.document import render_derivation
from symnn.spec.specfile import load_spec
from tests.test_cli import symnn


def test_outputs_are_written_yhat_and_hidden_units_stay_layered():
    net = load_spec("two_two_two")
    shape = nt.Shape(tuple(net.widths))
    yhat = nt.NOTATIONS["yhat"]
    assert yhat.latex(nt.a(2, 1), shape) == r"\hat{y}_{1}"
    assert yhat.latex(nt.a(1, 1), shape) == "a^{(1)}_{1}"
    assert nt.NOTATIONS["layered"].latex(nt.a(2, 2), shape) == "a^{(2)}_{2}"
    text = render_derivation(derive(net, "W1[1,1]"), "md", notation="yhat", numeric=True)
    assert r"\frac{\partial L}{\partial \hat{y}_{1}} & = \hat{y}_{1} - y_{1}" in text
    assert r"\frac{\partial \hat{y}_{1}}{\partial z^{(2)}_{1}}" in text
    assert "a^{(1)}_{1}" in text and not re.search(r"(?<!\\delt)a\^\{\(2\)\}", text)
    # the numbers are the same whatever the names
    layered = render_derivation(derive(net, "W1[1,1]"), "md", numeric=True)
    assert "0.000438568" in text and "0.000438568" in layered


def test_cli_article_in_yhat_compiles(tmp_path):
    from symnn.output.pdf import pdflatex

    if pdflatex() is None:
        pytest.skip("pdflatex is missing: install texlive-latex-base")
    out = tmp_path / "d.pdf"
    args = ("derive", "single_neuron", "--numeric", "--notation", "yhat", "--format", "pdf")
    result = symnn(*args, "-o", out)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")
