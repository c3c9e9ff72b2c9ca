"""BP1–BP4 (symnn.engine.fundamental): every step, statement and instance checked with numbers.

General index forms are checked at every layer and unit they speak of, the vector forms at each
concrete layer (``at_layer``), and the instances for the network against the element level, all
at a random point of each network (the machinery of tests/test_matrix.py).
"""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symnn.core.errors import SymnnError
from symnn.engine.fundamental import (
    LayerVector,
    VectorDerivative,
    applies,
    at_layer,
    fundamental_equations,
)
from symnn.engine.index_form import LAYER
from symnn.printing.latex import tex
from symnn.spec.network import Dense, Network
from symnn.spec.specfile import load_spec
from tests.test_matrix import _check_step, _environment

NETS = {
    "two_two_two": load_spec("two_two_two"),
    "three_layer_tanh": load_spec("three_layer_tanh"),
    "softmax_three_classes": load_spec("softmax_three_classes"),
    "single_neuron": load_spec("single_neuron"),
    "relu-mse-no-bias": Network(
        3,
        [Dense(4, "relu"), Dense(3, "tanh", bias=False), Dense(2, "identity")],
        "mse",
    ),
}


def _general(expr) -> bool:
    return expr.has(LayerVector) or expr.has(VectorDerivative)


@pytest.mark.parametrize("name", list(NETS))
def test_every_step_and_instance_equals_the_element_level(name):
    assert _check_everything(NETS[name]) > 10


def _check_everything(net) -> int:
    """Every step, statement and instance of BP1–BP4 at a random point; how many were checked."""
    env = _environment(net)
    depth = len(net.layers)
    checked = 0
    for equation in fundamental_equations(net):
        for step in (*equation.steps, equation.element, equation.matrix, *equation.instances):
            if not _general(step.lhs) and not _general(step.rhs):
                _check_step(step, net, env, require=False)
                checked += 1
                continue
            # A vector form at a symbolic layer: at every concrete layer it speaks of.
            uses_next = step.lhs.has(LAYER + 1) or step.rhs.has(LAYER + 1)
            bias = step.lhs.has(LayerVector("b", LAYER))
            for layer in range(1, depth + (0 if uses_next else 1)):
                spec = net.layers[layer - 1]
                if bias and not (spec.has_bias and spec.trainable_bias):
                    continue  # a layer without a trained bias: BP3 does not speak of it
                concrete = [at_layer(side, layer, net) for side in (step.lhs, step.rhs)]
                try:
                    _check_step(type(step)(*concrete, step.rule), net, env)
                except KeyError:
                    continue  # a quantity this layer does not have (no bias)
                checked += 1
    return checked


@pytest.mark.parametrize("name", list(NETS))
def test_instances_are_the_matrix_results_and_cover_every_layer(name):
    net = NETS[name]
    bp1, bp2, bp3, bp4 = fundamental_equations(net)
    depth = len(net.layers)
    matrix = [s for s in bp4.instances if not s.lhs.free_symbols & set(sp.symbols("j k"))]
    assert len([s for s in bp4.instances if s.lhs.has(sp.Symbol("j"))]) in (0, depth)
    assert len(bp2.instances) == 2 * (depth - 1)
    assert bool(bp2.note) == (depth == 1)
    assert all(step.rule == "bp_instance" for e in (bp1, bp2, bp3, bp4) for step in e.instances)
    assert matrix or bp4.instances


def test_statements_print_as_nielsen_writes_them():
    bp1, bp2, bp3, bp4 = fundamental_equations(NETS["three_layer_tanh"])
    assert tex(bp1.element.rhs) == (
        r"\frac{\partial L}{\partial a^{(3)}_{j}} f'\left(z^{(3)}_{j}\right)"
    )
    assert tex(bp1.matrix.rhs) == (
        r"\frac{\partial L}{\partial a^{(3)}} \odot f'\left(z^{(3)}\right)"
    )
    assert tex(bp2.matrix.rhs) == (
        r"\left(\left(W^{(l + 1)}\right)^{T} \delta^{(l + 1)}\right) \odot f'\left(z^{(l)}\right)"
    )
    assert tex(bp3.matrix.lhs) + " = " + tex(bp3.matrix.rhs) == (
        r"\frac{\partial L}{\partial b^{(l)}} = \delta^{(l)}"
    )
    assert tex(bp4.matrix.rhs) == r"\delta^{(l)} \left(a^{(l - 1)}\right)^{T}"
    instance = tex(bp1.instances[-1].rhs)
    assert instance.endswith(r"\odot \sigma'\left(z^{(3)}\right)")


def test_softmax_output_keeps_bp1_in_jacobian_form():
    bp1 = fundamental_equations(NETS["softmax_three_classes"])[0]
    jacobian = r"\left(\frac{\partial a^{(1)}}{\partial z^{(1)}}\right)^{T}"
    assert tex(bp1.matrix.rhs).startswith(jacobian)
    assert tex(bp1.instances[-1].rhs) == "a^{(1)} - y"


def test_where_they_do_not_apply_is_said():
    graph = load_spec("residual")
    assert "graph" in applies(graph)
    with pytest.raises(SymnnError, match="plain stack"):
        fundamental_equations(graph)
    net = Network(2, [Dense(3, "softmax"), Dense(2, "sigmoid")], "squared_error")
    assert "layer 1" in applies(net)


OUTPUTS = {"squared_error": "sigmoid", "mse": "identity", "cross_entropy": "softmax"}


@st.composite
def stacks(draw):
    """Plain stacks of dense layers: depth 1–3, widths 2–3, biases present, absent or frozen."""
    loss = draw(st.sampled_from(sorted(OUTPUTS)))
    hidden = st.sampled_from(["sigmoid", "tanh", "relu", "identity", "softplus"])
    depth = draw(st.integers(1, 3))
    layers = [
        Dense(
            draw(st.integers(2, 3)),
            draw(hidden) if index < depth - 1 else OUTPUTS[loss],
            draw(st.booleans()),
            None,
            draw(st.booleans()),
        )
        for index in range(depth)
    ]
    return Network(draw(st.integers(1, 3)), layers, loss)


@settings(max_examples=15, deadline=None)
@given(stacks())
def test_random_networks(net):
    assert applies(net) == ""
    assert _check_everything(net) > 5


def test_cli_writes_them_boxed_in_every_format(tmp_path):
    from tests.test_cli import symnn

    md = symnn("derive", "two_two_two", "--bp-equations", "--format", "md")
    assert md.returncode == 0, md.stderr
    text = md.stdout
    assert text.index("## Results") < text.index("## The four fundamental equations")
    for label in ("BP1", "BP2", "BP3", "BP4"):
        assert f"### {label}: " in text and rf"\text{{({label})}}" in text
    assert r"\boxed{\delta^{(l)} = \left(\left(W^{(l + 1)}\right)^{T}" in text
    assert "This network trains no bias: BP3 has nothing to do." in text
    assert r"\delta^{(1)}_{j} & = a^{(1)}_{j} \left(1 - a^{(1)}_{j}\right) \sum_{k=1}^{2}" in text
    plain = symnn("derive", "two_two_two", "--format", "md")
    assert "fundamental" not in plain.stdout  # only on request


@pytest.mark.parametrize("fmt", ["article", "beamer"])
def test_documents_with_them_compile(tmp_path, fmt):
    from symnn.output.pdf import pdflatex
    from tests.test_cli import symnn

    if pdflatex() is None:
        pytest.skip("pdflatex is missing: install texlive-latex-base")
    out = tmp_path / "bp.tex"
    args = ("derive", "three_layer_tanh", "--level", "matrix", "--bp-equations")
    result = symnn(*args, "--format", fmt, "-o", out)
    assert result.returncode == 0, result.stderr
    assert r"\tag*{(BP4)}" in out.read_text() or fmt == "beamer"
    run = __import__("subprocess").run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", out.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-2000:]


def test_cli_refuses_what_it_cannot_write():
    from tests.test_cli import symnn

    for args, message in {
        ("derive", "residual", "--bp-equations", "--format", "md"): "plain stack of dense",
        ("derive", "two_two_two", "--bp-equations"): "--bp-equations: expected --format",
    }.items():
        result = symnn(*args)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
