"""The benchmark's yardsticks agree with symnn, and the benchmark runs end to end (not timed)."""

import json

import numpy as np
import pytest

from benchmarks import hand_numpy, run, torch_backprop
from benchmarks.shapes import SHAPES, shape
from symnn.codegen.element import compile_gradients
from symnn.training.check import random_batch, random_params

SMALL = [name for name in SHAPES if shape(name).network().parameter_count < 1000]


def assert_same(reference, other):
    loss, grads = reference
    other_loss, other_grads = other
    assert other_loss == pytest.approx(loss, rel=1e-10)
    assert sorted(other_grads) == sorted(grads)
    for name in grads:
        np.testing.assert_allclose(other_grads[name], grads[name], rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("name", SMALL)
@pytest.mark.parametrize("layout", ["units", "layers"])
def test_hand_written_numpy_agrees_with_symnn(name, layout):
    net = shape(name).network()
    hand = hand_numpy.gradient_function(net)
    ours = compile_gradients(net, layout=layout)
    rng = np.random.default_rng(len(name))
    params = random_params(net, rng)
    for batch in (1, 17):
        X, Y = random_batch(net, rng, batch)
        assert_same(ours(params, X, Y), hand(params, X, Y))


def test_hand_written_numpy_refuses_rules_it_does_not_know():
    net = shape("2-2-2").network()
    other = type(net)(2, [type(net.layers[0])(2, "gelu"), net.layers[1]], net.loss)
    assert not hand_numpy.supports(other)
    with pytest.raises(ValueError, match="does not cover"):
        hand_numpy.gradient_function(other)


@pytest.mark.skipif(not torch_backprop.available(), reason="PyTorch is not installed")
@pytest.mark.parametrize("name", ["2-2-2", "2-3-1", "4-16-3"])
def test_pytorch_reference_agrees_with_hand_written_numpy(name):
    net = shape(name).network()
    rng = np.random.default_rng(3)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, 9)
    torch_grads = torch_backprop.gradient_function(net)
    assert_same(hand_numpy.gradient_function(net)(params, X, Y), torch_grads(params, X, Y))


def test_quick_run_writes_tables_and_json(tmp_path, capsys):
    results = run.main(["--quick", "--no-torch", "--out", str(tmp_path)])
    text = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert text == capsys.readouterr().out.split("\n\n", 1)[1].rsplit("written:", 1)[0][:-1]
    assert json.loads((tmp_path / "results.json").read_text(encoding="utf-8")) == results
    for heading in ("## Derive + compile", "## Peak memory", "## One gradient evaluation"):
        assert heading in text
    assert "| 2-2-2 | sigmoid → sigmoid, squared_error | 12 |" in text
    entry = results["shapes"]["2-2-2"]
    assert entry["derivation"]["element"]["status"] == "ok"
    plain = entry["derivation"]["plain"]
    assert plain["status"] == "ok" and plain["agrees"]
    assert all(entry["evaluation"]["agrees"].values())
    assert sorted(entry["evaluation"]["batches"]) == ["1", "64"]
    assert "torch" not in entry["evaluation"]["batches"]["64"]["median_s"]


def test_a_worker_that_runs_out_of_time_is_reported_over_the_cap():
    assert run.run_worker("plain", "8-16-4", timeout=0.5) == {"timeout": 0.5}


def test_bad_shape_is_refused():
    with pytest.raises(ValueError, match="expected widths such as 8-16-4"):
        shape("8-x-4")


def test_the_residual_row_agrees_with_its_yardsticks():
    """Hand-written NumPy, the generated matrix code (and PyTorch) give one loss and gradients."""
    from benchmarks import residual

    found = residual.row(batch=4, rounds=1, torch=torch_backprop.available())
    assert set(found["ratio_to_hand"]) >= {"hand", "matrix"}
    assert "| matrix" in residual.markdown(found)
