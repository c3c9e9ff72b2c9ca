"""The Jinja sandbox every template renders in, the user's own (``--template-dir``) included.

Templates are shared (by a colleague, on a course website), so they are treated as untrusted:

- Jinja's ``SandboxedEnvironment`` refuses attributes that reach Python's internals
  (``__class__``, ``__globals__``, ``mro``, a function's code, …), so no template can import a
  module, open a file or start a process; a refused probe is a clear error, never a traceback;
- what a template writes is bounded (``MAX_OUTPUT`` characters), and so are the operators that
  could build a huge value in one step (``"x" * 10**9``, ``10 ** 10 ** 10``) and ``range``;
- so is the time it takes (``MAX_SECONDS``): nested loops that write nothing would otherwise run
  for hours. The bound is a timer signal, so it holds where signals can be caught: in the main
  thread on POSIX systems (the command line always; a library call from another thread has only
  the output bound).

The project's own templates need nothing the sandbox forbids: the gallery renders byte-identically.
"""

from __future__ import annotations

import operator
import signal
import threading
import time
from collections.abc import Iterable, Iterator, Sized
from contextlib import contextmanager
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

from symnn.core.errors import SymnnError

MAX_OUTPUT = 16_000_000  # characters one template may write (the largest gallery file is ~50 kB)
MAX_POWER = 1_000  # |n| in a ** n inside a template
MAX_SECONDS = 60.0  # wall-clock time one render may take (the whole gallery renders in seconds)


class TemplateSandbox(SandboxedEnvironment):
    """A ``SandboxedEnvironment`` whose ``*`` and ``**`` cannot build a value past the bounds."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if op == "**":
            if isinstance(right, int | float) and abs(right) > MAX_POWER:
                raise SymnnError(f"template: a power with exponent {right}; at most {MAX_POWER}")
            return operator.pow(left, right)
        for sized, count in ((left, right), (right, left)):
            if (
                isinstance(sized, Sized)
                and isinstance(count, int)
                and len(sized) * count > MAX_OUTPUT
            ):
                raise SymnnError(
                    f"template: a repeated value of {len(sized) * count:,} items; "
                    f"at most {MAX_OUTPUT:,}"
                )
        return operator.mul(left, right)


@contextmanager
def time_bound(seconds: float, name: str) -> Iterator[None]:
    """Stop the render with an error after ``seconds``, where a timer signal can be caught.

    An outer timer that fires sooner (a test harness's bound) is left alone; a later one is
    restored with the time it had left.
    """
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    outer_left, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    if 0 < outer_left <= seconds:
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise SymnnError(
            f"template {name!r}: still rendering after {seconds:g} s; stopped "
            "(a template loops too much?)"
        )

    previous = signal.signal(signal.SIGALRM, expire)
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left:
            left = max(outer_left - (time.monotonic() - started), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, outer_interval)


def bounded(chunks: Iterable[str], name: str) -> str:
    """The text a template writes, joined, stopping with an error past ``MAX_OUTPUT``
    characters or ``MAX_SECONDS`` seconds."""
    with time_bound(MAX_SECONDS, name):
        return _joined(chunks, name)


def _joined(chunks: Iterable[str], name: str) -> str:
    parts, size = [], 0
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise SymnnError(
                    f"template {name!r}: output over {MAX_OUTPUT:,} characters; stopped "
                    "(a template loops too much?)"
                )
            parts.append(chunk)
    except SymnnError:
        raise
    except (ArithmeticError, TypeError, ValueError, LookupError, RecursionError) as error:
        # a mistake in the template (1/0, range(10**9), a macro calling itself), or its
        # own text passed to a filter that cannot take it: name the template, no traceback
        raise SymnnError(f"template {name!r}: {type(error).__name__}: {error}") from None
    return "".join(parts)
