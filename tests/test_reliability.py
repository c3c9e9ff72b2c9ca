"""Reliability: resource guards, stable numerics at extreme logits, files never half-written."""

import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp

from symnn.codegen.element import compile_gradients
from symnn.core.errors import SymnnError
from symnn.core.functions import to_elementary
from symnn.engine import derive
from symnn.spec.build import build_graph
from symnn.spec.network import Dense, Network

ROOT = Path(__file__).resolve().parent.parent


def test_element_level_guard_suggests_the_matrix_level():
    big = Network(784, [Dense(128, "relu"), Dense(10)], "softmax_cross_entropy")
    with pytest.raises(SymnnError, match="over the limit of 10,000; use the matrix level"):
        derive(big)
    with pytest.raises(SymnnError, match="over the limit"):
        compile_gradients(big)


def test_element_limit_is_configurable(monkeypatch):
    net = Network(3, [Dense(3, "tanh"), Dense(1)], "mse")
    monkeypatch.setenv("SYMNN_ELEMENT_LIMIT", "5")
    with pytest.raises(SymnnError, match="16 parameters, over the limit of 5"):
        derive(net)
    monkeypatch.setenv("SYMNN_ELEMENT_LIMIT", "lots")
    with pytest.raises(SymnnError, match="SYMNN_ELEMENT_LIMIT: expected a positive whole number"):
        derive(net)


def high_precision(net, params, x, y):
    """Loss and gradients from the elementary symbolic formulas, evaluated with 50 digits."""
    graph = build_graph(net)
    point = dict(zip(graph.inputs, x, strict=True)) | dict(zip(graph.targets, y, strict=True))
    for p in graph.parameters:
        for index, s in p.entries():
            point[s] = params[p.name][index]
    loss = to_elementary(graph.composed_loss())
    symbols = sorted(point, key=sp.default_sort_key)
    values = [mpmath.mpf(point[s]) for s in symbols]
    with mpmath.workdps(50):
        value = sp.lambdify(symbols, loss, "mpmath")(*values)
        grads = {
            p.name: np.array(
                [
                    float(sp.lambdify(symbols, sp.diff(loss, s), "mpmath")(*values))
                    for _, s in p.entries()
                ]
            ).reshape(p.shape)
            for p in graph.parameters
        }
    return float(value), grads


@pytest.mark.parametrize(
    ("loss", "outputs", "y"),
    [
        ("softmax_cross_entropy", 3, [0.0, 1.0, 0.0]),
        ("softmax_cross_entropy", 3, [1.0, 0.0, 0.0]),
        ("binary_cross_entropy_logits", 3, [1.0, 0.0, 1.0]),
    ],
)
def test_extreme_logits_give_finite_correct_loss_and_gradients(loss, outputs, y):
    """Logits of ±1000 (far past float64's exp range) through the generated code."""
    net = Network(1, [Dense(outputs)], loss)
    params = {"W1": np.array([[1000.0], [-1000.0], [999.0]][:outputs]), "b1": np.zeros(outputs)}
    value, grads = compile_gradients(net)(params, [[1.0]], [y])
    reference_value, reference = high_precision(net, params, [1.0], y)
    assert np.isfinite(value) and value == pytest.approx(reference_value, rel=1e-12, abs=1e-12)
    for name in grads:
        assert np.all(np.isfinite(grads[name]))
        np.testing.assert_allclose(grads[name], reference[name], rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("activation", ["sigmoid", "softplus", "silu", "gelu", "elu", "tanh"])
def test_activations_at_extreme_inputs(activation):
    net = Network(1, [Dense(2, activation), Dense(1)], "squared_error")
    params = {
        "W1": np.array([[1000.0], [-1000.0]]),
        "b1": np.zeros(2),
        "W2": np.ones((1, 2)) * 1e-3,
        "b2": np.zeros(1),
    }
    value, grads = compile_gradients(net)(params, [[1.0]], [[0.5]])
    reference_value, reference = high_precision(net, params, [1.0], [0.5])
    assert value == pytest.approx(reference_value, rel=1e-12)
    for name in grads:
        np.testing.assert_allclose(grads[name], reference[name], rtol=1e-9, atol=1e-300)


def test_failed_command_never_truncates_an_existing_file(tmp_path):
    out = tmp_path / "derivation.txt"
    out.write_text("keep me\n")
    bad = tmp_path / "bad.toml"
    bad.write_text("inputs = 2\n[[layers]]\nunits = 0\n")
    result = subprocess.run(
        [sys.executable, "-m", "symnn", "derive", str(bad), "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert out.read_text() == "keep me\n"
    assert {p.name for p in tmp_path.iterdir()} == {"bad.toml", "derivation.txt"}  # no temp left


def test_atomic_write_leaves_old_file_when_writing_fails(tmp_path, monkeypatch):
    from symnn.core import files

    target = tmp_path / "out.tex"
    target.write_text("old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        files.write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.tex"]


def test_written_files_get_ordinary_permissions(tmp_path):
    from symnn.core import files

    fresh = tmp_path / "fresh.txt"
    files.write_text(fresh, "x")
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert fresh.stat().st_mode == plain.stat().st_mode
    plain.chmod(0o640)
    files.write_text(plain, "y")
    assert plain.stat().st_mode & 0o777 == 0o640
