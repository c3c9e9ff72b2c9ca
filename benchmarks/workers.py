"""Derivation measurements, each run in a fresh subprocess: time, and peak memory of that run only.

``python3 benchmarks/workers.py KIND SHAPE`` prints one JSON object; KIND is ``element`` (symnn's
element-level derivation and generated code), ``matrix`` (symnn's matrix level) or ``plain`` (the
plain-SymPy way: the composed loss, ``sympy.diff`` per parameter, ``lambdify`` with cse).
"""

from __future__ import annotations

import os

for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
):
    os.environ[_var] = "1"  # before NumPy loads its BLAS
# The benchmark measures the element level at 784-128-10 on purpose, past the everyday guard.
os.environ.setdefault("SYMNN_ELEMENT_LIMIT", "1000000")

import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402

import symnn  # noqa: E402
from benchmarks import hand_numpy  # noqa: E402
from benchmarks.shapes import shape  # noqa: E402
from benchmarks.timing import interleaved, median  # noqa: E402
from symnn.codegen.element import compile_gradients  # noqa: E402
from symnn.engine.element import backprop_for  # noqa: E402
from symnn.numerics import NAMESPACE  # noqa: E402
from symnn.printing.code import CodePrinter  # noqa: E402
from symnn.spec.build import build_graph  # noqa: E402
from symnn.training.check import random_batch, random_params  # noqa: E402


def _peak_mib() -> float:
    """This process's peak resident set size in MiB.

    Linux's VmHWM belongs to this program alone; getrusage's ru_maxrss would also count the pages
    of the parent (the benchmark runner) that the fork copied before exec.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = _clocks()
    return wall - start[0], cpu - start[1]


def element(net) -> dict:
    """Derivation (adjoints and gradients), generated code, then the step-by-step Derivation.

    ``build_cpu_s`` is ``build_graph`` alone, timed first in its own right (the derivation below
    builds its graph again: the totals are as before).
    """
    built = time.process_time()
    build_graph(net)
    build_cpu_s = time.process_time() - built
    start = _clocks()
    bp = backprop_for(net)
    bp.adjoints, bp.gradients  # noqa: B018 - cached properties: this is the derivation
    derive_s, _ = _since(start)
    compile_gradients(net)
    total_s, total_cpu_s = _since(start)
    steps = _clocks()
    symnn.derive(net, "all")  # every step of every gradient, on the cached derivation
    steps_s, _ = _since(steps)
    return {
        "build_cpu_s": build_cpu_s,
        "derive_s": derive_s,
        "total_s": total_s,
        "total_cpu_s": total_cpu_s,
        "steps_s": steps_s,
    }


def matrix(net) -> dict:
    if not hasattr(symnn, "compile_matrix_gradients"):
        return {"unavailable": "n/a: matrix level not available"}
    start = _clocks()
    symnn.derive_matrix(net)
    derive_s, _ = _since(start)
    symnn.compile_matrix_gradients(net)
    total_s, total_cpu_s = _since(start)
    return {"derive_s": derive_s, "total_s": total_s, "total_cpu_s": total_cpu_s}


def plain(net, batch: int = 64) -> dict:
    """The way one would do it with SymPy alone, then one gradient evaluation against hand NumPy."""
    graph = build_graph(net)
    thetas = [s for p in graph.parameters if p.trainable for _, s in p.entries()]
    start = _clocks()
    loss = graph.composed_loss()
    grads = [sp.diff(loss, t) for t in thetas]
    derive_s, _ = _since(start)
    args = [*graph.inputs, *graph.targets, *thetas]
    modules = [{"numpy": np, **NAMESPACE}]
    f = sp.lambdify(args, [loss, *grads], modules=modules, printer=CodePrinter(), cse=True)
    total_s, total_cpu_s = _since(start)
    result = {
        "derive_s": derive_s,
        "lambdify_s": total_s - derive_s,
        "total_s": total_s,
        "total_cpu_s": total_cpu_s,
    }
    rng = np.random.default_rng(0)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, batch)
    values = [params[p.name][index] for p in graph.parameters for index, _ in p.entries()]

    def plain_gradients():
        out = f(*X.T, *Y.T, *values)
        return [np.mean(np.broadcast_to(v, (batch,))) for v in out]

    hand = hand_numpy.gradient_function(net)
    reference_loss, reference = hand(params, X, Y)
    ours = plain_gradients()
    flat = np.concatenate([reference[p.name].ravel() for p in graph.parameters if p.trainable])
    result["agrees"] = bool(
        np.isclose(ours[0], reference_loss) and np.allclose(ours[1:], flat, rtol=1e-7, atol=1e-10)
    )
    result["eval_ratio_batch"] = batch
    samples = interleaved({"plain": plain_gradients, "hand": lambda: hand(params, X, Y)}, 5)
    result["eval_ratio"] = median(samples["plain"]) / median(samples["hand"])
    return result


KINDS = {"element": element, "matrix": matrix, "plain": plain}


def main(argv: list[str]) -> None:
    kind, name = argv
    net = shape(name).network()
    baseline = _peak_mib()
    result = KINDS[kind](net)
    result |= {"baseline_rss_mib": baseline, "peak_rss_mib": _peak_mib()}
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
