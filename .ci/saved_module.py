"""The saved NumPy module (`symnn export --to numpy`) runs in a venv where symnn is not installed.

Usage: python3 .ci/saved_module.py VENV   (VENV: a venv with NumPy and without symnn, e.g. the
minimum-versions one before the wheel goes in)

This checkout's symnn writes the module and the expected loss and gradients (its own matrix-level
NumPy gradient); VENV's Python runs the module isolated (-I: no PYTHONPATH, no user site, the
module's folder as the only addition to sys.path), refusing to start if symnn is importable there,
and the two must agree to 1e-10.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import symnn  # noqa: E402
from symnn.codegen.export import export  # noqa: E402
from symnn.training.check import random_batch, random_params  # noqa: E402

RUN = """
import importlib.util, sys
if importlib.util.find_spec("symnn") is not None:
    sys.exit("symnn is importable in this venv: the check would prove nothing")
folder = sys.argv[1]
sys.path.insert(0, folder)
import numpy, grads
data = numpy.load(folder + "/case.npz")
params = {k: data[k] for k in grads.PARAMETERS}
loss, g = grads.loss_and_gradients(params, data["X"], data["Y"])
numpy.savez(folder + "/out.npz", loss=loss, **g)
print("numpy", numpy.__version__)
"""

# Saturating activations and both textbook probability pairs: the inlined stable helpers matter.
NETWORKS = {
    "gelu-softmax-cross_entropy": symnn.Network(
        3, [symnn.Dense(4, "gelu"), symnn.Dense(3, "softmax")], "cross_entropy"
    ),
    "tanh-sigmoid-binary_cross_entropy": symnn.Network(
        2, [symnn.Dense(3, "tanh"), symnn.Dense(2, "sigmoid")], "binary_cross_entropy"
    ),
}


def main() -> None:
    python = Path(sys.argv[1]).resolve() / "bin" / "python"
    for name, net in NETWORKS.items():
        rng = np.random.default_rng(0)
        params = random_params(net, rng)
        X, Y = random_batch(net, rng, 5)
        want_loss, want = symnn.compile_matrix_gradients(net)(params, X, Y)
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "grads.py").write_text(export(net, "numpy"))
            np.savez(Path(folder) / "case.npz", X=X, Y=Y, **params)
            run = subprocess.run(
                [str(python), "-I", "-c", RUN, folder], capture_output=True, text=True, cwd=folder
            )
            if run.returncode != 0:
                sys.exit(f"saved NumPy module ({name}) failed in {python}:\n{run.stderr}")
            out = np.load(Path(folder) / "out.npz")
            assert abs(float(out["loss"]) - want_loss) <= 1e-10 * max(1.0, abs(want_loss))
            assert sorted(k for k in out.files if k != "loss") == sorted(want)
            for key, value in want.items():
                np.testing.assert_allclose(out[key], value, rtol=0, atol=1e-10)
        print(f"saved NumPy module ({name}) ran without symnn ({run.stdout.strip()}), agrees")


if __name__ == "__main__":
    main()
