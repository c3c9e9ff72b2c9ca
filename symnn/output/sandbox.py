"""The Jinja sandbox every template renders in, the user's own (``--template-dir``) included.

Templates are shared (by a colleague, on a course website), so they are treated as untrusted:

- Jinja's ``SandboxedEnvironment`` refuses attributes that reach Python's internals
  (``__class__``, ``__globals__``, ``mro``, a function's code, …), so no template can import a
  module, open a file or start a process; a refused probe is a clear error, never a traceback;
- what a template writes is bounded (``MAX_OUTPUT`` characters), and so are the operators that
  could build a huge value in one step (``"x" * 10**9``, ``10 ** 10 ** 10``) and ``range``.

The project's own templates need nothing the sandbox forbids: the gallery renders byte-identically.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sized
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

from symnn.core.errors import SymnnError

MAX_OUTPUT = 16_000_000  # characters one template may write (the largest gallery file is ~50 kB)
MAX_POWER = 1_000  # |n| in a ** n inside a template


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


def bounded(chunks: Iterable[str], name: str) -> str:
    """The text a template writes, joined, stopping with an error past ``MAX_OUTPUT``."""
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
