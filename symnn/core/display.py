"""Views of symnn objects (notebook LaTeX and Markdown, plain text), filled in from above.

Core data such as ``Derivation`` and the calculus and perceptron runs ask here for their views
instead of importing the renderers that sit above them, so imports run one way: the output
package registers a renderer per (class, view) in ``symnn.output.notebook``, imported by name
the first time a view is missing (so that ``import symnn`` stays cheap), as autograd's
``defvjp`` fills its table of rules.

Examples:
    >>> class Note:
    ...     pass
    >>> register(Note, "text", lambda note: "a note")
    >>> show(Note(), "text")
    'a note'
    >>> show(Note(), "latex")
    Traceback (most recent call last):
    ...
    symnn.core.errors.SymnnError: no latex view for Note (symnn.output.notebook registers them)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from symnn.core.errors import SymnnError

VIEWS = ("latex", "markdown", "text")
_RENDERERS: dict[tuple[type, str], Callable[[Any], str | None]] = {}


def register(cls: type, view: str, renderer: Callable[[Any], str | None]) -> None:
    """Show instances of ``cls`` (and of its subclasses, unless they have their own) this way."""
    if view not in VIEWS:
        raise SymnnError(f"unknown view {view!r}; known: {', '.join(VIEWS)}")
    _RENDERERS[cls, view] = renderer


def show(obj: Any, view: str) -> str | None:
    """The registered ``view`` of ``obj``, found along its class's method resolution order."""
    for attempt in range(2):
        for cls in type(obj).__mro__:
            renderer = _RENDERERS.get((cls, view))
            if renderer is not None:
                return renderer(obj)
        if attempt == 0:  # symnn's own views register on first use: Jinja and SymPy load then
            importlib.import_module("symnn.output.notebook")
    raise SymnnError(
        f"no {view} view for {type(obj).__name__} (symnn.output.notebook registers them)"
    )
