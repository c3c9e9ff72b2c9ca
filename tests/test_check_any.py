"""Checking any gradient: a user's own backprop against finite differences, symnn and autodiff;
any function's gradient gradcheck-style; kinks flagged; the report without autograd."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import symnn
from symnn.training.check import check_function

ROOT = Path(__file__).resolve().parent.parent
NET = symnn.Network(3, [symnn.Dense(4, "tanh"), symnn.Dense(2, "sigmoid")], "mse")


def hand_backprop(params, X, Y, bug=False):
    """Backprop written by hand, as a student would (optionally with a missing factor)."""
    W1, b1, W2, b2 = (np.asarray(params[k]) for k in ("W1", "b1", "W2", "b2"))
    A1 = np.tanh(X @ W1.T + b1)
    A2 = 1 / (1 + np.exp(-(A1 @ W2.T + b2)))
    n, k = Y.shape
    D2 = (1.0 if bug else 2.0) * (A2 - Y) / (n * k) * A2 * (1 - A2)
    D1 = (D2 @ W2) * (1 - A1**2)
    grads = {"W1": D1.T @ X, "b1": D1.sum(0), "W2": D2.T @ A1, "b2": D2.sum(0)}
    return float(np.mean((A2 - Y) ** 2)), grads


def test_a_correct_hand_backprop_passes_against_every_reference():
    report = symnn.check_gradients(NET, gradient=hand_backprop)
    assert report.passed, report.table()
    assert report.subject == "your gradient function"
    assert all(r.symnn is not None and r.symnn < 1e-12 for r in report.rows)
    assert "vs symnn" in report.table()


def test_a_wrong_hand_backprop_fails_and_names_the_entries():
    report = symnn.check_gradients(NET, gradient=lambda p, X, Y: hand_backprop(p, X, Y, bug=True))
    assert not report.passed
    worst = {r.name: r.finite_difference for r in report.rows}
    assert all(0.3 < e < 0.7 for e in worst.values()), worst  # half of every gradient
    row = report.rows[0]
    assert len(row.disagreeing) == 5
    index, got, expected = row.disagreeing[0]
    assert abs(got - expected / 2) < 1e-9 * max(1.0, abs(expected))
    assert f"W1[{index[0]}, {index[1]}]" in report.table()
    assert report.table().splitlines()[-1].startswith("FAIL: your gradient function")


def test_a_loss_on_another_scale_is_reported():
    def summed(params, X, Y):
        loss, grads = hand_backprop(params, X, Y)
        return loss * len(X), {k: v * len(X) for k, v in grads.items()}

    report = symnn.check_gradients(NET, gradient=summed)
    assert all(r.finite_difference < 1e-6 for r in report.rows)  # consistent with itself
    assert not report.passed and not report.loss_agrees
    assert "mean over samples" in report.table()


def test_gradient_function_errors_are_clear():
    with pytest.raises(symnn.SymnnError, match="missing W2, b2"):
        symnn.check_gradients(NET, gradient=lambda p, X, Y: (0.0, {"W1": 0, "b1": 0}))
    with pytest.raises(symnn.SymnnError, match=r"expected a function \(params, X, Y\)"):
        symnn.check_gradients(NET, gradient=lambda p, X, Y: 0.0)


def test_check_function_gradcheck_style():
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    good = check_function(lambda v: np.sum(np.sin(v) * v), lambda v: np.cos(v) * v + np.sin(v), x)
    assert good.passed and good.rows[0].finite_difference < 1e-8
    bad = check_function(lambda v: np.sum(np.sin(v) * v), lambda v: np.cos(v) * v, x)
    assert not bad.passed and bad.rows[0].disagreeing
    named = check_function(
        lambda p: float(p["a"] @ p["b"]),
        lambda p: {"a": p["b"], "b": p["a"]},
        {"a": np.array([1.0, 2.0]), "b": np.array([3.0, -1.0])},
    )
    assert named.passed and [r.name for r in named.rows] == ["a", "b"]


def test_kinks_are_flagged_and_left_out():
    x = np.array([0.0, 1.5, -2.0])
    report = check_function(lambda v: np.sum(np.abs(v)), np.sign, x)
    assert report.rows[0].kinks == ((0,),)
    assert report.passed, report.table()
    assert "on a kink" in report.table()
    smooth = check_function(lambda v: np.sum(v**4), lambda v: 4 * v**3, np.array([0.0, 1e-3, 3.0]))
    assert smooth.rows[0].kinks == ()


def test_relu_at_zero_is_a_kink_in_a_network():
    net = symnn.Network(2, [symnn.Dense(2, "relu"), symnn.Dense(1)], "squared_error")
    params = {"W1": [[1.0, -1.0], [0.5, 2.0]], "b1": [0.0, 0.0], "W2": [[1.0, 1.0]], "b2": [0.0]}
    report = symnn.check_gradients(net, params, [[1.0, 1.0], [1.0, 2.0]], [[1.0], [0.0]])
    assert report.passed, report.table()
    kinks = {r.name: r.kinks for r in report.rows}
    assert kinks["b1"] == ((0,),) and kinks["W1"] == ((0, 0), (0, 1))
    assert kinks["W2"] == () and kinks["b2"] == ()


def test_check_json_and_without_autograd(tmp_path):
    code = "from symnn.cli.main import main; import sys; sys.exit(main(sys.argv[1:]))"
    run = subprocess.run(
        [sys.executable, "-c", code, "check", "two_two_two", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    data = json.loads(run.stdout)
    assert run.returncode == 0 and data["passed"] and data["autodiff"] == "compared"
    assert [p["name"] for p in data["parameters"]] == ["W1", "W2"]
    blocked = (
        "import sys\n"
        "class B:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'autograd': raise ImportError(name)\n"
        "sys.meta_path.insert(0, B())\n" + code.replace("; ", "\n")
    )
    run = subprocess.run(
        [sys.executable, "-c", blocked, "check", "two_two_two"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert "(autodiff)" not in run.stdout and "vs autodiff" not in run.stdout
    assert "autodiff column skipped: autograd is not installed" in run.stdout
    assert "pip install 'symnn[autodiff]'" in run.stdout
