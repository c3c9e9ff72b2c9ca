"""symnn's benchmark: derivation cost, generated-code speed and memory against the alternatives.

Run from the repository root (single-threaded BLAS, float64; several minutes in full):

    python3 benchmarks/run.py             # every shape, 9 rounds, into benchmarks/results
    python3 benchmarks/run.py --quick     # 2-2-2 only, one round: a smoke test
    python3 benchmarks/run.py --shapes 8-16-4 --rounds 9 --cap 60 --out /tmp/bench

Derivations run in a fresh subprocess each (``benchmarks/workers.py``) so that time and peak RSS
belong to that derivation alone; the plain-SymPy way runs under a time cap and is killed there.
Gradient evaluations run in this process, the implementations taking turns round by round, and
are reported as ratios to hand-written NumPy backprop (``benchmarks/hand_numpy.py``) measured in
the same rounds. See benchmarks/README.md for how to read the tables.
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

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import symnn  # noqa: E402
from benchmarks import (  # noqa: E402
    attention,
    cnn,
    hand_numpy,
    hand_tuned,
    jax_backprop,
    lstm,
    report,
    residual,
    startup,
    torch_backprop,
)
from benchmarks.shapes import SHAPES, shape  # noqa: E402
from benchmarks.timing import interleaved, median, quartiles, round_ratios  # noqa: E402
from symnn.codegen.element import UNIT_LINES_UP_TO  # noqa: E402
from symnn.training.check import random_batch, random_params  # noqa: E402

WORKER = Path(__file__).resolve().parent / "workers.py"
MATRIX_MISSING = "n/a: matrix level not available"


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2-2-2 only, one round, cap 20 s")
    parser.add_argument("--shapes", help="comma-separated widths, e.g. 2-2-2,8-16-4")
    parser.add_argument("--batches", help="comma-separated batch sizes (default 1,64,1024)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 9; quick 1)")
    parser.add_argument("--plain-rounds", type=int, default=1, help="plain-SymPy runs per shape")
    parser.add_argument("--cap", type=float, help="plain-SymPy time cap in s (default 120)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--no-jax", action="store_true", help="leave JAX out")
    parser.add_argument(
        "--residual", action="store_true", help="also time the residual MLP row (784-128-(+)-10)"
    )
    parser.add_argument(
        "--lstm", action="store_true", help="also time the LSTM row (input 32, hidden 64, T 16)"
    )
    parser.add_argument(
        "--cnn", action="store_true", help="also time the CNN row (conv2d + maxpool + dense, 28×28)"
    )
    parser.add_argument(
        "--attention",
        action="store_true",
        help="also time the self-attention row (2 heads, T = 32, width 64, batch 16)",
    )
    parser.add_argument("--out", default="benchmarks/results", help="folder for results.md/.json")
    args = parser.parse_args(argv)
    quick = args.quick
    args.shapes = (args.shapes or ("2-2-2" if quick else ",".join(SHAPES))).split(",")
    args.batches = [int(b) for b in (args.batches or ("1,64" if quick else "1,64,1024")).split(",")]
    args.rounds = args.rounds or (1 if quick else 9)
    args.cap = args.cap or (20.0 if quick else 120.0)
    return args


def run_worker(kind: str, name: str, timeout: float | None = None) -> dict:
    """One derivation in a fresh interpreter; {"timeout": cap} if it ran out of time."""
    command = [sys.executable, str(WORKER), kind, name]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:  # subprocess.run has killed the worker
        return {"timeout": timeout}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def derivations(names: list[str], rounds: int, plain_rounds: int, cap: float) -> dict:
    """Element and matrix level in interleaved rounds; the plain-SymPy way smallest first."""
    results = {n: {"element": [], "matrix": [], "plain": []} for n in names}
    for _ in range(rounds):
        for n in names:
            for kind in ("element", "matrix"):
                results[n][kind].append(run_worker(kind, n))
                print(f"  derive {kind:7} {n:>10}: {_brief(results[n][kind][-1])}", flush=True)
    over = None
    for n in sorted(names, key=lambda n: shape(n).network().parameter_count):
        if over is not None:
            results[n]["plain"] = [{"skipped": over}]
            continue
        for _ in range(plain_rounds):
            results[n]["plain"].append(run_worker("plain", n, cap))
            print(f"  derive plain   {n:>10}: {_brief(results[n]['plain'][-1])}", flush=True)
            if "timeout" in results[n]["plain"][-1]:
                over = n
                break
    return results


def _brief(result: dict) -> str:
    if "total_s" in result:
        return f"{result['total_s']:.3f} s, peak {result['peak_rss_mib']:.0f} MiB"
    return str(result)


def implementations(net, torch: bool, jax: bool = False) -> dict:
    """name -> gradient function, for every implementation available here."""
    fs = {"tuned": hand_tuned.gradient_function(net), "hand": hand_numpy.gradient_function(net)}
    fs["element"] = symnn.compile_gradients(net)
    if net.parameter_count <= UNIT_LINES_UP_TO:  # "auto" wrote a line per unit: show both
        fs["element_layers"] = symnn.compile_gradients(net, layout="layers")
    if hasattr(symnn, "compile_matrix_gradients"):
        fs["matrix"] = symnn.compile_matrix_gradients(net)
    if jax and jax_backprop.available():
        fs["jax"] = jax_backprop.gradient_function(net)
    if torch and torch_backprop.available():
        fs["torch"] = torch_backprop.gradient_function(net)
    return fs


def gradient_flops(net, batch: int) -> int:
    """Multiply-adds ×2 of the gradient's matrix products: Z = A Wᵀ, ∂W = Δᵀ A, and Δ W below."""
    widths = [net.inputs] + [layer.units for layer in net.layers]
    return sum(
        2 * batch * fan_in * fan_out * (2 if l == 0 else 3)
        for l, (fan_in, fan_out) in enumerate(zip(widths, widths[1:], strict=False))
    )


def dgemm(net, batch: int):
    """The first layer's product (batch × inputs)·(inputs × units) alone, into a preallocated C."""
    rng = np.random.default_rng(0)
    A = rng.normal(size=(batch, net.inputs))
    B = rng.normal(size=(net.inputs, net.layers[0].units))
    C = np.empty((batch, net.layers[0].units))
    return (lambda: np.matmul(A, B, out=C)), 2 * batch * net.inputs * net.layers[0].units


def agreement(fs: dict, net) -> dict[str, bool]:
    """Whether each implementation gives hand-written NumPy's loss and gradients."""
    rng = np.random.default_rng(7)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, 5)
    loss, grads = fs["hand"](params, X, Y)
    found = {}
    for name, f in fs.items():
        other_loss, other = f(params, X, Y)
        found[name] = bool(
            np.isclose(other_loss, loss, rtol=1e-9)
            and all(np.allclose(other[k], grads[k], rtol=1e-7, atol=1e-10) for k in grads)
        )
    return found


def _call(f, params, X, Y):
    return lambda: f(params, X, Y)


def evaluations(
    names: list[str], batches: list[int], rounds: int, torch: bool, jax: bool = False
) -> dict:
    """CPU seconds per gradient evaluation of each implementation, per shape and batch size.

    A single-thread dgemm of the first layer's shape takes its turn in the same rounds: the
    roofline the matrix-level gradient's GFLOP/s is read against.
    """
    results = {}
    for n in names:
        net = shape(n).network()
        fs = implementations(net, torch, jax)
        entry = {"agrees": agreement(fs, net), "batches": {}}
        if "jax" in fs:
            entry["jax_threads"] = _jax_threads(fs["jax"], net)
        for batch in batches:
            rng = np.random.default_rng(batch)
            params = random_params(net, rng)
            X, Y = random_batch(net, rng, batch)
            calls = {name: _call(f, params, X, Y) for name, f in fs.items()}
            calls["dgemm"], dgemm_flops = dgemm(net, batch)
            samples = interleaved(calls, rounds)
            medians = {name: median(s) for name, s in samples.items()}
            ratios = round_ratios(samples, "tuned")
            entry["batches"][str(batch)] = {
                "samples_s": samples,
                "median_s": medians,
                "ratio_to_tuned": {k: median(v) for k, v in ratios.items()},
                "ratio_iqr": {k: quartiles(v) for k, v in ratios.items()},
                "gflops": {
                    "matrix": gradient_flops(net, batch) / medians["matrix"] / 1e9,
                    "dgemm": dgemm_flops / medians["dgemm"] / 1e9,
                },
            }
            shown = ", ".join(
                f"{k} {median(ratios[k]):.2f}x" for k in medians if k not in ("tuned", "dgemm")
            )
            tuned = medians["tuned"] * 1e6
            print(f"  gradient {n:>10} batch {batch:>4}: tuned {tuned:.0f} µs; {shown}", flush=True)
        results[n] = entry
    return results


def _jax_threads(f, net) -> dict | None:
    """How many threads ran JAX's compiled gradient at batch 64, and the busiest one's share."""
    rng = np.random.default_rng(1)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, 64)
    found = jax_backprop.busy_threads(lambda: f(params, X, Y))
    return None if found is None else {"busy": found[0], "busiest_share": found[1]}


def main(argv: list[str] | None = None) -> dict:
    # The benchmark measures the element level at 784-128-10 on purpose, past the everyday guard;
    # raised for this run only (and its workers), so importing this module changes nothing.
    previous = os.environ.get("SYMNN_ELEMENT_LIMIT")
    os.environ["SYMNN_ELEMENT_LIMIT"] = "1000000"
    # Every implementation measured is single-threaded; one CPU makes that true of JAX's XLA too,
    # whose thread pools are sized from this affinity (its flags alone leave several threads busy).
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_setaffinity") else None
    if cpus:
        os.sched_setaffinity(0, {min(cpus)})
    try:
        return _run(argv)
    finally:
        if cpus:
            os.sched_setaffinity(0, cpus)
        if previous is None:
            del os.environ["SYMNN_ELEMENT_LIMIT"]
        else:
            os.environ["SYMNN_ELEMENT_LIMIT"] = previous


def _run(argv: list[str] | None) -> dict:
    args = arguments(argv)
    shown = sys.argv[1:] if argv is None else argv
    args.command = " ".join(["python3 benchmarks/run.py", *shown])
    for name in args.shapes:
        shape(name)  # fail early on a bad shape
    print(f"symnn benchmark: shapes {', '.join(args.shapes)}; rounds {args.rounds}", flush=True)
    derived = derivations(args.shapes, args.rounds, args.plain_rounds, args.cap)
    timed = evaluations(args.shapes, args.batches, args.rounds, not args.no_torch, not args.no_jax)
    started = startup.measure(max(args.rounds, 3))
    results = report.assemble(args, derived, timed, started)
    if args.residual or not args.quick:
        results["residual"] = residual.row(rounds=args.rounds, torch=not args.no_torch)
    if args.lstm or not args.quick:
        results["lstm"] = lstm.row(rounds=args.rounds, torch=not args.no_torch)
    if args.cnn or not args.quick:
        results["cnn"] = cnn.row(rounds=args.rounds, torch=not args.no_torch)
    text = report.markdown(results)
    if "residual" in results:
        text += residual.markdown(results["residual"])
    if "lstm" in results:
        text += lstm.markdown(results["lstm"])
    if "cnn" in results:
        text += cnn.markdown(results["cnn"])
    if args.attention or not args.quick:
        results["attention"] = attention.row(rounds=args.rounds, torch=not args.no_torch)
        text += attention.markdown(results["attention"])
    text += startup.markdown(results["startup"])
    print()
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.md").write_text(text, encoding="utf-8")
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"written: {out / 'results.md'}, {out / 'results.json'}")
    return results


if __name__ == "__main__":
    main()
