"""Where a command's text goes: stdout, or a file written atomically."""

from __future__ import annotations

import sys
from collections.abc import Callable

from symnn.core.errors import SymnnError
from symnn.core.files import write_bytes, write_text


def emit(text: str, path: str | None) -> None:
    """Print ``text`` or write it to ``path`` (all or nothing)."""
    if path is None or path == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        write_text(path, text if text.endswith("\n") else text + "\n")


def emit_document(render: Callable[[str, bool], str], fmt: str, document: bool, path) -> None:
    """Emit ``render(fmt, document)``; for "pdf", compile the LaTeX article into ``path``."""
    if fmt != "pdf":
        emit(render(fmt, document), path)
        return
    if path is None or path == "-":
        raise SymnnError("--format pdf: expected an output file with -o, found none")
    from symnn.output.pdf import compile_pdf

    write_bytes(path, compile_pdf(render("tex", True)))
