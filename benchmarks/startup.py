"""Start-up cost: CPU time of ``symnn --help``, ``--version`` and ``import symnn`` beside ``import
sympy``, each a fresh interpreter, in interleaved rounds (issue 21: ``--help`` ≤ 1.3× sympy).

CPU time of the child (user + system, from ``getrusage(RUSAGE_CHILDREN)``), so other load on a
shared machine inflates it far less than wall-clock time.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "python3 -c pass": ["-c", "pass"],
    "import sympy": ["-c", "import sympy"],
    "import symnn": ["-c", "import symnn"],
    "symnn --help": ["-m", "symnn", "--help"],
    "symnn --version": ["-m", "symnn", "--version"],
}


def _cpu(arguments: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, *arguments], capture_output=True, check=True, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(rounds: int = 5) -> dict:
    """Median CPU seconds of each command, and its ratio to ``import sympy`` round by round."""
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    names = list(COMMANDS)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            samples[name].append(_cpu(COMMANDS[name]))
    ratios = {
        name: statistics.median(t / s for t, s in zip(v, samples["import sympy"], strict=True))
        for name, v in samples.items()
    }
    return {
        "rounds": rounds,
        "median_cpu_s": {name: statistics.median(v) for name, v in samples.items()},
        "ratio_to_sympy": ratios,
    }


def markdown(result: dict) -> str:
    lines = [
        "",
        f"## Start-up (CPU time of a fresh interpreter, median of {result['rounds']} rounds)",
        "",
        "| command | CPU ms | ÷ `import sympy` |",
        "|---|---|---|",
    ]
    for name, seconds in result["median_cpu_s"].items():
        lines.append(f"| `{name}` | {seconds * 1e3:.0f} | {result['ratio_to_sympy'][name]:.2f}× |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 5)))
