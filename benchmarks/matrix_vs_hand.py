"""Speed check (not a test): generated matrix-level gradients against hand-written NumPy backprop.

A 784-128-10 ReLU network with softmax_cross_entropy at batch 1024, float64, one thread. Both
functions run in the same process in interleaved rounds; the ratio of medians is printed (target
≤ 1.2×), then the time to derive and compile the matrix level at several widths (it should not
grow with the widths: every rule comes from one representative unit).

Run from the repository root:  python3 benchmarks/matrix_vs_hand.py [--rounds 30]
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy loads its BLAS

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from symnn.codegen.matrix import compile_matrix_gradients  # noqa: E402
from symnn.engine.matrix import derive_matrix  # noqa: E402
from symnn.spec.network import Dense, Network  # noqa: E402

TARGET = 1.2


def hand_written(params, X, Y):
    """Textbook vectorised backprop for Linear-ReLU-Linear with fused softmax cross-entropy."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    n = X.shape[0]
    Z1 = X @ W1.T + b1
    A1 = np.maximum(Z1, 0.0)
    Z2 = A1 @ W2.T + b2
    shifted = Z2 - Z2.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(total[:, 0]) - np.sum(Y * shifted, axis=1)))
    D2 = exp / total - Y
    D1 = (D2 @ W2) * (Z1 > 0)
    grads = {
        "W1": D1.T @ X / n,
        "b1": D1.sum(axis=0) / n,
        "W2": D2.T @ A1 / n,
        "b2": D2.sum(axis=0) / n,
    }
    return loss, grads


def network(hidden: int, inputs: int = 784, outputs: int = 10) -> Network:
    return Network(inputs, [Dense(hidden, "relu"), Dense(outputs)], "softmax_cross_entropy")


def _timed(f, *args) -> float:
    start = time.perf_counter()
    f(*args)
    return time.perf_counter() - start


def speed(rounds: int, batch: int = 1024) -> float:
    net = network(128)
    rng = np.random.default_rng(0)
    params = {
        name: rng.normal(0.0, 1.0 / np.sqrt(shape[-1]), shape)
        for name, shape in net.parameter_shapes()
    }
    X = rng.normal(size=(batch, 784))
    Y = np.eye(10)[rng.integers(0, 10, batch)]
    generated = compile_matrix_gradients(net)
    loss, grads = generated(params, X, Y)
    ref_loss, ref_grads = hand_written(params, X, Y)
    assert abs(loss - ref_loss) <= 1e-12 * abs(ref_loss)
    for name in ref_grads:
        np.testing.assert_allclose(grads[name], ref_grads[name], rtol=1e-10, atol=1e-14)
    for _ in range(3):  # warm up caches and BLAS
        generated(params, X, Y)
        hand_written(params, X, Y)
    ours, theirs = [], []
    for i in range(rounds):
        pair = [(ours, generated), (theirs, hand_written)]
        for times, f in pair if i % 2 == 0 else reversed(pair):  # interleaved, order alternating
            times.append(_timed(f, params, X, Y))
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"784-128-10 ReLU, softmax_cross_entropy, batch {batch}, float64, 1 thread")
    print(f"  {rounds} interleaved rounds")
    print(f"  generated (matrix level): median {statistics.median(ours) * 1e3:8.2f} ms")
    print(f"  hand-written NumPy:       median {statistics.median(theirs) * 1e3:8.2f} ms")
    verdict = "within" if ratio <= TARGET else "OVER"
    print(f"  ratio generated / hand-written: {ratio:.3f}x ({verdict} the {TARGET}x target)")
    return ratio


def derive_cost(widths=(8, 128, 1024, 8192)) -> None:
    print("matrix derive + compile time by hidden width (784 inputs, 10 outputs):")
    for hidden in widths:
        net = network(hidden)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            derive_matrix(net)
            compile_matrix_gradients(net)
            times.append(time.perf_counter() - start)
        print(f"  hidden {hidden:>5}: {min(times) * 1e3:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    speed(args.rounds)
    derive_cost()


if __name__ == "__main__":
    main()
