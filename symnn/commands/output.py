"""Where a command's text goes: stdout, or a file written atomically."""

from __future__ import annotations

import sys

from symnn.files import write_text


def emit(text: str, path: str | None) -> None:
    """Print ``text`` or write it to ``path`` (all or nothing)."""
    if path is None or path == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        write_text(path, text if text.endswith("\n") else text + "\n")
