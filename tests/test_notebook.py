"""Notebooks: the example notebook runs (nbclient) and shows the typeset derivation; reprs are
short; rich displays; SymPy's init_printing in symnn's notation."""

import os
from pathlib import Path

import pytest
import sympy as sp

import symnn
from symnn.core import notation as nt
from symnn.printing.session import document_latex, document_text

ROOT = Path(__file__).resolve().parent.parent


def test_example_notebook_executes_and_shows_the_typeset_derivation(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(ROOT / "examples" / "notebook.ipynb", as_version=4)
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env_path) if p)
    try:
        client = nbclient.NotebookClient(
            notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
        )
        client.execute()
    finally:
        os.environ["PYTHONPATH"] = env_path
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    data = [o.get("data", {}) for o in outputs]
    derivation = data[0]
    assert r"w^{(1)}_{11}" in derivation["text/markdown"]
    assert r"\delta^{(1)}_{1}" in derivation["text/latex"]
    assert r"\frac{\partial L}{\partial w^{(1)}_{11}}" in data[1]["text/latex"]  # one Step
    assert r"w^{(1)}_{11}" in data[2]["text/latex"]  # a SymPy expression, via init_printing
    assert "PASS" in data[3]["text/markdown"]  # the gradient report
    assert len(data[4]["text/plain"]) < 300 and "TrainResult" in data[4]["text/plain"]
    assert "image/png" in data[5]  # the figure shows inline
    assert "inline" in data[6]["text/plain"]  # and the notebook's backend is as it was


def test_reprs_are_short():
    net = symnn.Network(2, [symnn.Dense(16, "tanh"), symnn.Dense(1, "sigmoid")])
    xor = symnn.load_dataset("xor")
    result = symnn.train(net, xor.X, xor.targets(), steps=500, progress=False, record=True)
    assert len(repr(result)) < 300 and "500 steps" in repr(result)
    assert "loss" in result._repr_markdown_()
    report = symnn.check_gradients(net)
    assert repr(report).startswith("<GradientReport PASS") and len(repr(report)) < 200
    assert "| `W1` |" in report._repr_markdown_()
    derivation = symnn.derive(net, "all")
    assert len(repr(derivation)) < 200 and repr(derivation).startswith("<Derivation")
    step = derivation.results[0]
    assert repr(step).startswith("Step(∂L/∂w_1_1_1 = ")
    assert step._repr_latex_().startswith(
        r"$\displaystyle \frac{\partial L}{\partial w^{(1)}_{11}}"
    )
    run = symnn.gradient_descent("x**2 + y**2", "1,1", "0.25", 200)
    assert len(repr(run)) < 200 and "200 steps" in repr(run)
    assert "converged" in repr(symnn.train_perceptron(*symnn.gate("or")))
    calc = symnn.gradient("x**2 + 4*y**2", at="1,1")
    assert repr(calc).startswith("<Derivation 'Gradient") and calc._repr_markdown_()


def test_document_notation_in_text_and_latex():
    d = sp.Derivative(nt.LOSS, nt.w(1, 1, 1), evaluate=False)
    assert document_text(d) == "∂L/∂w⁽¹⁾₁₁"
    assert document_text(nt.delta(2, 12) * nt.a(1, 3)) in ("δ⁽²⁾₁₂*a⁽¹⁾₃", "a⁽¹⁾₃*δ⁽²⁾₁₂")
    assert document_text(nt.grad_a(2, 1) + nt.x(1)) in ("∂L/∂a⁽²⁾₁ + x₁", "x₁ + ∂L/∂a⁽²⁾₁")
    assert document_latex(d) == r"\frac{\partial L}{\partial w^{(1)}_{11}}"
    net = symnn.load_spec(ROOT / "examples" / "two_two_two.toml")
    assert document_latex(nt.w(2, 1, 1), "neuron", net.widths) == "w_{5}"


def test_init_printing_uses_symnns_notation():
    from sympy.interactive import printing

    symnn.init_printing(pretty_print=True, use_latex=False)
    try:
        # Outside IPython, SymPy installs a displayhook that prints with our printer.
        import io
        import sys

        out, sys.stdout = sys.stdout, io.StringIO()
        try:
            sys.displayhook(sp.Derivative(nt.LOSS, nt.w(1, 1, 1), evaluate=False))
            shown = sys.stdout.getvalue()
        finally:
            sys.stdout = out
        assert shown.strip() == "∂L/∂w⁽¹⁾₁₁"
    finally:
        sys.displayhook = sys.__displayhook__
        del printing
    with pytest.raises(symnn.SymnnError, match="neuron notation needs network="):
        symnn.init_printing("neuron")
