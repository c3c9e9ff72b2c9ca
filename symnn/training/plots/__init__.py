"""Pictures for notes (matplotlib, the optional ``plot`` extra): one module per subject.

Every picture is a ``matplotlib.figure.Figure`` built without pyplot: it never switches the
backend, so a notebook's own inline plots keep working, and it displays itself in Jupyter.
Shared here: making a figure, and saving one as PNG and PDF.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from symnn.core.errors import SymnnError


def require_matplotlib() -> None:
    """A clear error, before any work is done, when matplotlib is not installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise SymnnError(
            "plots need matplotlib; install it with: pip install 'symnn[plot]'"
        ) from None


def new_figure(**options: Any) -> Any:
    """A ``matplotlib.figure.Figure`` made without pyplot, so matplotlib's global state (its
    backend, the notebook's current figure) is never touched; ``options`` go to ``Figure``."""
    require_matplotlib()
    return _figure_class()(**options)


@cache
def _figure_class() -> type:
    from matplotlib.figure import Figure

    class NotebookFigure(Figure):
        """A Figure that shows itself in Jupyter even when pyplot was never imported (then no
        inline formatter is registered for figures, and IPython asks the object itself)."""

        def _repr_png_(self) -> bytes:
            import io

            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
            return buffer.getvalue()

    return NotebookFigure


def finite_floats(rows: Any, what: str) -> Any:
    """The numbers as a float array, or a SymnnError when one is beyond float range (a figure
    cannot place 10^400, and matplotlib would fail or hang on it)."""
    import numpy as np

    try:
        array = np.array([[float(v) for v in row] for row in rows], dtype=float)
    except OverflowError:
        array = np.array([np.inf])
    if not np.all(np.isfinite(array)) or np.any(np.abs(array) > 1e100):
        raise SymnnError(f"plot: {what} too large to draw (beyond ±1e100); leave out the plot")
    return array


def save(figure: Any, path: str | Path) -> list[Path]:
    """Save ``figure`` to ``path``; a path without a suffix is saved as both .png and .pdf.

    Metadata that would change from run to run (creation dates) is left out, so the same figure
    gives the same bytes.
    """
    from symnn.core.files import write_bytes

    path = Path(path)
    if path.is_dir() or path.name in ("", ".", ".."):
        raise SymnnError(f"{path}: is a folder; expected a file name such as plot.png")
    targets = [path] if path.suffix else [path.with_suffix(".png"), path.with_suffix(".pdf")]
    written = []
    for target in targets:
        fmt = target.suffix.lstrip(".").lower()
        if fmt not in ("png", "pdf", "svg"):
            raise SymnnError(f"{target}: expected a .png, .pdf or .svg file name")
        import io

        buffer = io.BytesIO()
        metadata = {"CreationDate": None} if fmt == "pdf" else {"Software": None}
        if fmt == "svg":
            metadata = {"Date": None}
        figure.savefig(buffer, format=fmt, dpi=150, bbox_inches="tight", metadata=metadata)
        write_bytes(target, buffer.getvalue())
        written.append(target)
    return written
