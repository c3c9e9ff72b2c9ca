"""Run the command line in this process, fast enough for thousands of inputs, with a time bound.

``run_cli(argv)`` calls ``symnn.cli.main.main(argv)`` with stdout and stderr captured, warnings
recorded, and a time bound (``signal.setitimer`` in the main thread). The bound counts the
process's CPU time (``ITIMER_PROF``): on a shared, loaded machine wall-clock time counts other
processes' work too, and a long run fuzzed there "hung" at 24 s for 2.8 s of CPU. A looser
wall-clock bound (``WALL_FACTOR`` times longer) still catches a command that waits forever. It
never raises for what the command does: the outcome says whether it ended with a status, escaped
with an exception (a traceback to a user), or ran past a bound (a hang).
"""

from __future__ import annotations

import contextlib
import io
import json
import signal
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from symnn.cli.main import main
from symnn.core.files import is_temporary


class Hang(BaseException):
    """Raised in the command by the timer: BaseException, so no ``except Exception`` eats it."""


@dataclass
class Outcome:
    argv: list[str]
    code: int | None = None  # exit status; None when it escaped or hung
    stdout: str = ""
    stderr: str = ""
    escaped: str = ""  # the traceback of an exception that escaped main()
    hung: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def clean_error(self) -> bool:
        """Exit 2 with one line on stderr naming the problem."""
        lines = self.stderr.strip().split("\n")  # not splitlines: \x0c and \x85 are in argv
        return self.code == 2 and len(lines) >= 1 and lines[-1].startswith(("symnn", "usage:"))

    def problems(self) -> list[str]:
        """Everything wrong with this outcome for any input (empty when it ended well)."""
        found = []
        if self.hung:
            found.append("hung past the time bound")
        if self.escaped:
            found.append(f"traceback:\n{self.escaped}")
        if "Traceback (most recent call last)" in self.stderr:
            found.append(f"traceback on stderr:\n{self.stderr}")
        if self.warnings:
            found.append(f"warnings printed: {self.warnings}")
        if self.code == 2 and not self.clean_error:
            found.append(f"exit 2 without a one-line message: {self.stderr!r}")
        if self.code not in (None, 0, 1, 2):
            found.append(f"exit status {self.code}")
        return found

    def describe(self) -> str:
        return f"symnn {' '.join(self.argv)!r}: " + "; ".join(self.problems())


def strict_json(text: str) -> object:
    """Parse JSON as RFC 8259 does: Infinity, -Infinity and NaN are invalid."""

    def refuse(name: str) -> object:
        raise ValueError(f"invalid JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


WALL_FACTOR = 10
TIMERS = (
    (signal.ITIMER_PROF, signal.SIGPROF, 1),
    (signal.ITIMER_REAL, signal.SIGALRM, WALL_FACTOR),
)


def _on_timer(signum, frame):
    raise Hang


def _arm(seconds: float) -> None:
    for timer, _, factor in TIMERS:
        signal.setitimer(timer, seconds * factor)


def run_cli(argv: list[str], seconds: float = 20.0) -> Outcome:
    """Run ``symnn *argv`` in this process (main thread) and report how it ended."""
    outcome = Outcome(list(argv))
    out, err = io.StringIO(), io.StringIO()
    previous = {number: signal.signal(number, _on_timer) for _, number, _ in TIMERS}
    try:
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            _arm(seconds)
            try:
                outcome.code = main(argv)
            except SystemExit as exit_:  # argparse's usage errors
                outcome.code = exit_.code if isinstance(exit_.code, int) else 2
            except Hang:
                outcome.hung = True
            except Exception:
                outcome.escaped = traceback.format_exc()
            finally:
                _arm(0)
        outcome.warnings = [f"{w.category.__name__}: {w.message}" for w in caught]
    except Hang:  # the timer fired in the instant between the command's end and the disarm
        outcome.hung = True
    finally:
        _arm(0)
        for number, handler in previous.items():
            signal.signal(number, handler)
    outcome.stdout, outcome.stderr = out.getvalue(), err.getvalue()
    return outcome


def temporary_files(folder: Path) -> list[Path]:
    """Atomic-write temporary files left anywhere under ``folder``."""
    return sorted(p for p in folder.rglob("*") if is_temporary(p.name))
