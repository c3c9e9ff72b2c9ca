"""Where a command's text goes: stdout, or a file written atomically."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from typing import Any

from symnn.core.errors import SymnnError
from symnn.core.files import write_bytes, write_text


def emit(text: str, path: str | None) -> None:
    """Print ``text`` or write it to ``path`` (all or nothing)."""
    if path is None or path == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        write_text(path, text if text.endswith("\n") else text + "\n")


def refuse_pdf_to_stdout(path: str | None) -> None:
    """PDF is binary and compiled into a file: ``-o -`` and no ``-o`` are refused by name."""
    if path == "-":
        raise SymnnError("--format pdf: cannot write to standard output (-o -); give a file name")
    if path is None:
        raise SymnnError("--format pdf: expected an output file with -o, found none")


def emit_document(render: Callable[[str, bool], str], fmt: str, document: bool, path) -> None:
    """Emit ``render(fmt, document)``; for "pdf", compile the LaTeX article into ``path``.

    "article" is the same as "tex" with ``document``: the option names ``symnn derive`` uses.
    """
    if fmt == "article":
        fmt, document = "tex", True
    if fmt != "pdf":
        emit(render(fmt, document), path)
        return
    refuse_pdf_to_stdout(path)
    from symnn.output.pdf import compile_pdf

    write_bytes(path, compile_pdf(render("tex", True)))


def separate_figure(fmt: str, path: str | None) -> str:
    """The name of the SVG that ``--figures separate`` writes beside the Markdown at ``path``
    (``NAME-figure.svg`` for ``NAME.md``), or a one-line error for any other format or output."""
    from pathlib import Path

    if fmt != "md":
        raise SymnnError(
            f"--figures separate: expected --format md (the SVG written beside it); --format "
            f"{fmt} carries its figure inline (--figures inline)"
        )
    if path is None or path == "-":
        raise SymnnError("--figures separate: expected an output file with -o to write beside")
    return f"{Path(path).stem}-figure.svg"


def write_separate_figure(item: Any, path: str, name: str) -> None:
    """Write the refresher item's picture as the SVG ``name`` beside the file at ``path``."""
    from pathlib import Path

    from symnn.output.figures.tikz import picture_svg
    from symnn.output.refresher import refresher_picture

    picture = refresher_picture(item)
    if picture is None:
        raise SymnnError("--figures separate: this document has no figure; use --figures none")
    write_bytes(Path(path).parent / name, picture_svg(picture).encode("utf-8"))


def finite_json(value: Any) -> Any:
    """``value`` with every non-finite float (inf, nan, NumPy's too) as None: JSON has neither."""
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_text(value: Any, indent: int | None = 2, ensure_ascii: bool = False) -> str:
    """Strict JSON (never Infinity or NaN): non-finite numbers become null."""
    return json.dumps(finite_json(value), indent=indent, ensure_ascii=ensure_ascii, allow_nan=False)
