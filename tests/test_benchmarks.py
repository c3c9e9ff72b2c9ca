"""The benchmark's yardsticks agree with symnn, and the benchmark runs end to end (not timed)."""

import json

import numpy as np
import pytest

from benchmarks import hand_numpy, hand_tuned, jax_backprop, run, torch_backprop
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


@pytest.mark.parametrize("name", SMALL)
def test_tuned_numpy_agrees_with_textbook_numpy_and_reuses_no_returned_array(name):
    net = shape(name).network()
    tuned = hand_tuned.gradient_function(net)
    rng = np.random.default_rng(5)
    params = random_params(net, rng)
    for batch in (1, 17, 1):  # a batch size seen before reuses its buffers
        X, Y = random_batch(net, rng, batch)
        first = tuned(params, X, Y)
        kept = {k: v.copy() for k, v in first[1].items()}
        assert_same(hand_numpy.gradient_function(net)(params, X, Y), first)
        tuned(params, *random_batch(net, rng, batch))  # must not overwrite what it returned
        assert all(np.array_equal(first[1][k], kept[k]) for k in kept)


@pytest.mark.skipif(not jax_backprop.available(), reason="JAX is not installed")
@pytest.mark.parametrize("name", ["2-2-2", "2-3-1", "4-16-3"])
def test_jax_reference_agrees_with_hand_written_numpy(name):
    net = shape(name).network()
    rng = np.random.default_rng(4)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, 9)
    jax_grads = jax_backprop.gradient_function(net)
    assert_same(hand_numpy.gradient_function(net)(params, X, Y), jax_grads(params, X, Y))
    busy = jax_backprop.busy_threads(lambda: jax_grads(params, X, Y), seconds=0.1)
    assert busy is None or (busy[0] >= 1 and 0.0 < busy[1] <= 1.0)


def test_hand_written_numpy_refuses_rules_it_does_not_know():
    net = shape("2-2-2").network()
    other = type(net)(2, [type(net.layers[0])(2, "gelu"), net.layers[1]], net.loss)
    assert not hand_numpy.supports(other)
    for yardstick in (hand_numpy, hand_tuned):
        with pytest.raises(ValueError, match="does not cover"):
            yardstick.gradient_function(other)


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
    results = run.main(["--quick", "--no-torch", "--no-jax", "--out", str(tmp_path)])
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
    batch = entry["evaluation"]["batches"]["64"]
    assert "torch" not in batch["median_s"] and "jax" not in batch["median_s"]
    assert set(batch["ratio_to_tuned"]) == set(batch["median_s"]) >= {"tuned", "hand", "matrix"}
    low, high = batch["ratio_iqr"]["matrix"]
    assert low <= batch["ratio_to_tuned"]["matrix"] <= high
    assert batch["gflops"]["matrix"] > 0 and batch["gflops"]["dgemm"] > 0
    assert "## Roofline" in text and "| tuned NumPy µs | textbook NumPy |" in text


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


def test_the_lstm_row_agrees_with_its_yardsticks():
    """Hand-written NumPy BPTT, the generated matrix code (and nn.LSTM) agree on the LSTM row."""
    from benchmarks import lstm

    found = lstm.row(batch=4, rounds=1, torch=torch_backprop.available())
    assert set(found["ratio_to_hand"]) >= {"hand", "matrix"}
    assert "| matrix" in lstm.markdown(found)
