"""Exports of the derived gradients: NumPy alone, JAX (jit, custom VJP) and PyTorch (an autograd
Function passing gradcheck), each compared with symnn's NumPy gradient to 1e-10."""

import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import symnn
from symnn.codegen.export import TARGETS, export
from symnn.training.check import random_batch, random_params
from tests.helpers import output_activation_for

ROOT = Path(__file__).resolve().parent.parent
HIDDEN = ["gelu", "relu", "elu", "sigmoid", "softplus", "leaky_relu", "silu", "tanh", "step"]
# Every loss once, the hidden activations taking turns; a softmax hidden layer and a frozen bias.
NETWORKS = [
    symnn.Network(
        3,
        [symnn.Dense(4, HIDDEN[i % len(HIDDEN)]), symnn.Dense(2, output_activation_for(loss))],
        loss,
    )
    for i, loss in enumerate(symnn.LOSSES)
] + [
    symnn.Network(3, [symnn.Dense(3, "softmax"), symnn.Dense(2, "sigmoid")], "squared_error"),
    symnn.Network(2, [symnn.Dense(2, "tanh", trainable_bias=False), symnn.Dense(1)], "mse"),
]


def case(net, seed=0, n=5):
    rng = np.random.default_rng(seed)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, n)
    loss, grads = symnn.compile_matrix_gradients(net)(params, X, Y)
    return params, X, Y, loss, grads


def load(net, target, tmp_path):
    path = tmp_path / f"{target}_export.py"
    path.write_text(export(net, target))
    return runpy.run_path(str(path))


def assert_close(loss, grads, want_loss, want_grads):
    assert abs(float(loss) - want_loss) <= 1e-10 * max(1.0, abs(want_loss))
    assert sorted(grads) == sorted(want_grads)
    for name, want in want_grads.items():
        np.testing.assert_allclose(np.asarray(grads[name]), want, rtol=0, atol=1e-10)


def input_gradient(net, params, X, Y, h=1e-6):
    """∂(mean loss)/∂X by central differences of symnn's own loss."""
    f = symnn.compile_matrix_gradients(net)
    out = np.empty_like(X)
    for index in np.ndindex(X.shape):
        up, down = X.copy(), X.copy()
        up[index] += h
        down[index] -= h
        out[index] = (f.loss(params, up, Y) - f.loss(params, down, Y)) / (2 * h)
    return out


@pytest.mark.parametrize("net", NETWORKS, ids=lambda n: f"{n.layers[0].activation}-{n.loss}")
def test_numpy_export_agrees(net, tmp_path):
    params, X, Y, loss, grads = case(net)
    module = load(net, "numpy", tmp_path)
    assert_close(*module["loss_and_gradients"](params, X, Y), loss, grads)


def test_numpy_export_runs_without_symnn_or_scipy(tmp_path):
    net = symnn.Network(3, [symnn.Dense(4, "gelu"), symnn.Dense(3, "softmax")], "cross_entropy")
    params, X, Y, loss, grads = case(net)
    (tmp_path / "grads.py").write_text(export(net, "numpy"))
    np.savez(tmp_path / "case.npz", X=X, Y=Y, **params)
    script = """
import sys
class Block:  # as on a machine with NumPy alone
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("symnn", "scipy", "sympy"):
            raise ImportError(name)
sys.meta_path.insert(0, Block())
sys.path.insert(0, sys.argv[1])
import numpy, grads
data = numpy.load(sys.argv[1] + "/case.npz")
params = {k: data[k] for k in grads.PARAMETERS}
loss, g = grads.loss_and_gradients(params, data["X"], data["Y"])
numpy.savez(sys.argv[1] + "/out.npz", loss=loss, **g)
"""
    run = subprocess.run(
        [sys.executable, "-I", "-c", script, str(tmp_path)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    out = np.load(tmp_path / "out.npz")
    assert_close(float(out["loss"]), {k: out[k] for k in grads}, loss, grads)


@pytest.fixture(scope="module")
def jax():
    jax = pytest.importorskip("jax", reason="JAX not installed (CI installs the CPU build)")
    jax.config.update("jax_enable_x64", True)
    return jax


@pytest.mark.parametrize("net", NETWORKS, ids=lambda n: f"{n.layers[0].activation}-{n.loss}")
def test_jax_export_agrees_under_jit_and_grad(net, jax, tmp_path):
    import jax.numpy as jnp

    params, X, Y, loss, grads = case(net)
    module = load(net, "jax", tmp_path)
    assert_close(*jax.jit(module["loss_and_gradients"])(params, X, Y), loss, grads)
    jparams = {k: jnp.asarray(v) for k, v in params.items()}
    by_grad = jax.jit(jax.grad(module["loss"]))(jparams, X, Y)
    frozen = [k for k in params if k not in grads]
    assert all(not np.any(np.asarray(by_grad[k])) for k in frozen)
    assert_close(loss, {k: by_grad[k] for k in grads}, loss, grads)


def test_jax_grad_runs_symnns_backward_and_reaches_the_inputs(jax, tmp_path):
    import jax.numpy as jnp

    net = NETWORKS[0]
    params, X, Y, loss, grads = case(net)
    module = load(net, "jax", tmp_path)
    jparams = {k: jnp.asarray(v) for k, v in params.items()}
    assert isinstance(module["loss"], jax.custom_vjp)
    assert "custom_vjp_call" in str(jax.make_jaxpr(module["loss"])(jparams, X, Y))
    dX = jax.grad(module["loss"], argnums=1)(jparams, jnp.asarray(X), Y)
    np.testing.assert_allclose(np.asarray(dX), input_gradient(net, params, X, Y), atol=1e-8)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="PyTorch not installed (CI: torch==2.13.0, CPU)")


@pytest.mark.parametrize("net", NETWORKS, ids=lambda n: f"{n.layers[0].activation}-{n.loss}")
def test_torch_export_agrees_and_passes_gradcheck(net, torch, tmp_path):
    params, X, Y, loss, grads = case(net)
    module = load(net, "torch", tmp_path)
    assert_close(*module["loss_and_gradients"](params, X, Y), loss, grads)
    tensors = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=k in grads) for k, v in params.items()
    }
    value = module["loss"](tensors, torch.tensor(X), torch.tensor(Y))
    value.backward()
    assert_close(value.item(), {k: tensors[k].grad.numpy() for k in grads}, loss, grads)
    if net.layers[0].activation in ("step", "relu", "leaky_relu") or net.loss in ("mae", "hinge"):
        return  # kinks: a finite-difference check means little there (see symnn.check_gradients)
    Xt = torch.tensor(X, requires_grad=True)
    inputs = (Xt, torch.tensor(Y), *(tensors[k].detach().requires_grad_(k in grads)
              for k in module["PARAMETERS"]))  # fmt: skip
    assert torch.autograd.gradcheck(module["SymnnLoss"].apply, inputs, eps=1e-6, atol=1e-7)


def test_export_command(tmp_path):
    for target in TARGETS:
        out = tmp_path / f"grads_{target}.py"  # not numpy.py: it would shadow NumPy here
        run = subprocess.run(
            [sys.executable, "-m", "symnn", "export", "xor", "--to", target, "-o", str(out)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert run.returncode == 0, run.stderr
        assert out.read_text() == export(symnn.load_spec(ROOT / "examples" / "xor.toml"), target)
    bad = subprocess.run(
        [sys.executable, "-m", "symnn", "export", "xor", "--to", "tensorflow"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert bad.returncode == 2 and "invalid choice: 'tensorflow'" in bad.stderr


@pytest.mark.parametrize("name", ["cnn", "residual", "tied_autoencoder", "lstm"])
@pytest.mark.parametrize("target", ["jax", "torch"])
def test_jax_and_torch_exports_refuse_what_they_cannot_translate(name, target, tmp_path):
    """Only dense stacks are translated; anything else is refused by name, never written as a
    module that fails when run (the NumPy export covers every layer kind)."""
    net = symnn.load_spec(ROOT / "examples" / f"{name}.toml")
    with pytest.raises(symnn.SymnnError, match=rf"export --to {target}: supports a plain stack"):
        export(net, target)
    out = tmp_path / "module.py"
    result = subprocess.run(
        [sys.executable, "-m", "symnn", "export", str(ROOT / "examples" / f"{name}.toml")]
        + ["--to", target, "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--to numpy exports every layer kind" in result.stderr and not out.exists()
    assert "def loss_and_gradients" in export(net, "numpy")
