"""Worked-step documents: every number is the engine's, and the LaTeX compiles."""

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from symnn.codegen.element import compile_gradients
from symnn.core.errors import SymnnError
from symnn.spec.network import Data, Dense, Network
from symnn.spec.specfile import load_spec
from symnn.training.init import initial_params
from symnn.training.train import train
from symnn.training.worked_step import worked_step, worked_step_context, write_worked_step

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "two_two_two.toml"


def test_the_example_shows_the_hand_numbers():
    doc = worked_step(load_spec(EXAMPLE), fmt="md", steps=10)
    for number in ("0.3775", "0.593269992", "0.75136507", "0.298371109", "0.138498562",
                   "-0.0380982365", "0.00877135469", "0.0821670406"):  # fmt: skip
        assert number in doc
    updates = re.findall(
        r"\\leftarrow (\S+) - 0.5 \\cdot \\left\( (\S+) \\right\) = (\S+)\$\$", doc
    )
    assert [u[2] for u in updates] == [
        "0.149780716", "0.199561432", "0.249751144", "0.299502287",
        "0.35891648", "0.408666186", "0.51130127", "0.561370121",
    ]  # fmt: skip
    for old, gradient, new in updates:  # each printed update is consistent as printed
        assert float(old) - 0.5 * float(gradient) == pytest.approx(float(new), abs=1e-9)
    assert "Fixed during training (not updated): b1, b2." in doc
    assert "| 10 | $0.220918592$ |" in doc


def test_context_numbers_come_from_the_generated_functions():
    network = Network(3, [Dense(2, "tanh"), Dense(3, "softmax")], "cross_entropy")
    params = initial_params(network, "xavier", seed=4)
    x, y = [0.3, -0.2, 0.9], [0.0, 1.0, 0.0]
    context = worked_step_context(network, params, x, y, lr=0.2, steps=5)
    loss, grads = compile_gradients(network)(params, [x], [y])
    assert context["forward"][-1]["value"] == pytest.approx(loss, abs=1e-15)
    by_name = {str(row["symbol"].variables[0]): row["value"] for row in context["gradients"]}
    assert by_name["w_2_3_1"] == pytest.approx(grads["W2"][2, 0], abs=1e-15)
    assert by_name["b_1_2"] == pytest.approx(grads["b1"][1], abs=1e-15)
    after = train(network, [x], [y], params=params, steps=5, lr=0.2)
    assert [v for _, v in context["loss_table"]] == after.loss
    assert len(context["updates"]) == network.parameter_count


def test_prose_is_escaped_and_the_neuron_notation_works():
    network = Network(
        2,
        [Dense(2, "leaky_relu", weights=[[0.1, -0.2], [0.3, 0.4]]), Dense(1, weights=[[1, -1]])],
        "mse",
        name="50% & co_net",
        notation="neuron",
        data=Data([[1.0, 2.0]], [[0.5]]),
    )
    tex = worked_step(network, fmt="tex", steps=3)
    assert r"50\% \& co\_net" in tex and r"leaky\_relu" in tex
    assert r"\mathrm{net}_{h_{1}}" in tex
    with pytest.raises(SymnnError, match="sample: expected an index from 0 to 0"):
        worked_step(network, sample=3)
    with pytest.raises(SymnnError, match="expected a .tex or .md file name"):
        write_worked_step(network, None, None, None, 0.1, "out.txt")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_the_latex_compiles(tmp_path):
    network = load_spec(EXAMPLE)
    write_worked_step(network, network.given_params(), *network.data.arrays(), 0.5,
                      tmp_path / "step.tex")  # fmt: skip
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "step.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert (tmp_path / "step.pdf").read_bytes().startswith(b"%PDF-")


def test_several_samples_use_the_chosen_one():
    network = load_spec(EXAMPLE)
    X = np.array([[0.05, 0.10], [1.0, -1.0]])
    Y = np.array([[0.01, 0.99], [0.5, 0.5]])
    doc = worked_step(network, X=X, Y=Y, fmt="md", sample=1, steps=1)
    assert "sample 2 of 2" in doc and "x_{2} = -1" in doc


@pytest.mark.parametrize(("optimizer", "batch"), [("gd", None), ("sgd", 2), ("momentum", None)])
def test_the_worked_step_is_the_step_training_took(optimizer, batch):
    """Issue 18: the same optimiser, batch and sample choice as training; the printed updates
    are the parameters after training's first step (XOR's sample 1 alone gives W1 no gradient)."""
    network = load_spec(ROOT / "examples" / "xor.toml")
    X, Y = network.data.arrays()
    result = train(network, X, Y, steps=3, lr=2.0, optimizer=optimizer, batch=batch,
                   seed=0, record=True)  # fmt: skip
    context_doc = worked_step(network, result.initial, X, Y, result.lr, "md", 3, result=result)
    after = result.trajectory[1]
    updates = re.findall(r"(\S+)\$\$\n", context_doc.split("## Update")[1].split("## Loss")[0])
    expected = np.concatenate([after[name].ravel() for name in ("W1", "b1", "W2", "b2")])
    assert np.allclose([float(u) for u in updates], expected, rtol=1e-8, atol=1e-9)
    size = result.batch
    assert ("the mean over the batch" in context_doc) == (size > 1)
    from symnn.training.train import first_batch

    shown = ", ".join(str(i + 1) for i in first_batch(len(X), size, 0))
    if size == 4:
        assert "on all 4 samples, its gradient the mean over the batch" in context_doc
    elif size > 1:
        assert f"on the batch of samples {shown}, its gradient" in context_doc
    assert f"| 3 | ${result.loss[3]:.9g}$ |" in context_doc.replace("e-0", "e-0")
