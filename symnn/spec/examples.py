"""The example files shipped with symnn, usable by name from any folder (``symnn derive xor``).

In a source checkout they are the repository's ``examples/``; in an installed wheel the same files
sit in ``symnn/bundled_examples``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from symnn.core.errors import SymnnError

PACKAGE_DIR = Path(__file__).resolve().parent.parent
EXAMPLE_DIRS = (PACKAGE_DIR / "bundled_examples", PACKAGE_DIR.parent / "examples")
# Network specs, the data they use, graph programs (``symnn graph micrograd``) and the notebook.
SUFFIXES = (".toml", ".csv", ".txt", ".ipynb")


def examples_dir() -> Path:
    """The folder holding the bundled examples (installed copy first, then the source tree)."""
    for folder in EXAMPLE_DIRS:
        if (folder / "two_two_two.toml").is_file():
            return folder
    raise SymnnError("the bundled examples are missing from this installation of symnn")


def example_files() -> list[Path]:
    """Every bundled example file (specs, their data, programs, the notebook), sorted by name."""
    return sorted(p for p in examples_dir().iterdir() if p.suffix in SUFFIXES and p.is_file())


def example_names() -> list[str]:
    """The names of the bundled network specs, as given to ``symnn derive NAME``."""
    return [p.stem for p in example_files() if p.suffix == ".toml"]


def example_path(name: str) -> Path:
    """The bundled file called ``name`` (``xor``, ``xor.toml`` or ``perceptron_points.csv``).

    Examples:
        >>> example_path("two_two_two").name
        'two_two_two.toml'
    """
    for path in example_files():
        if name in (path.name, path.stem) and (path.suffix == ".toml" or name == path.name):
            return path
    raise SymnnError(
        f"no bundled example {name!r}; known: {', '.join(p.name for p in example_files())}"
    )


def program_path(name: str) -> Path | None:
    """The bundled graph program ``name`` names (``micrograd`` or ``micrograd.txt``), if any.

    Examples:
        >>> program_path("micrograd").name
        'micrograd.txt'
        >>> program_path("xor") is None
        True
    """
    if not name or "/" in name or "\\" in name:
        return None
    for path in example_files():
        if path.suffix == ".txt" and name in (path.name, path.stem):
            return path
    return None


def is_example_name(text: str) -> bool:
    """Whether ``text`` is a bare name (no folder) that a bundled spec or data file answers to
    (a graph program or the notebook is no spec)."""
    if not text or "/" in text or "\\" in text:
        return False
    try:
        return example_path(text).suffix in (".toml", ".csv")
    except SymnnError:
        return False


def describe(path: Path) -> str:
    """One line on what the example is: a spec's ``name`` key, a CSV file's header."""
    if path.suffix == ".ipynb":
        return "Jupyter notebook: a derivation, a check, training and its figure"
    lines = path.read_text(encoding="utf-8").splitlines()
    if path.suffix == ".txt":  # a graph program: its first comment line
        first = lines[0].lstrip("# ").split(":")[0].split(";")[0].split(" (")[0] if lines else ""
        first = first if lines and lines[0].startswith("#") else ""
        first = first if len(first) <= 50 else first[:49].rstrip() + "…"
        return f"symnn graph program: {first}" if first else "symnn graph program"
    if path.suffix == ".csv":
        return f"CSV data, columns {lines[0].strip()}" if lines else "CSV data"
    for line in lines:
        key, equals, value = line.partition("=")
        if equals and key.strip() == "name":
            return value.split("#")[0].strip().strip('"')
    return ""


def copy_examples(folder: str | Path, names: list[str] | None = None) -> list[Path]:
    """Copy bundled examples (all, or the named ones) into ``folder``; returns the new paths.

    An existing file is never overwritten: the copy stops with an error naming it.
    """
    folder = Path(folder)
    sources = [example_path(n) for n in names] if names else example_files()
    targets = [folder / source.name for source in sources]
    for target in targets:
        if target.exists():
            raise SymnnError(f"{target}: already exists; not overwritten")
    folder.mkdir(parents=True, exist_ok=True)
    for source, target in zip(sources, targets, strict=True):
        shutil.copyfile(source, target)
    return targets
