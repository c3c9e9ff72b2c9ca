"""Writing and checking the ``derivations/`` gallery: every file comes from ``symnn.examples``.

``write_gallery`` regenerates the folder (removing files no example produces any more);
``check_gallery`` compares without writing and returns a unified diff of every difference.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from symnn.examples import gallery_files
from symnn.files import write_bytes

Files = dict[str, bytes]


def _encode(files: dict[str, str | bytes]) -> Files:
    return {
        name: data.encode("utf-8") if isinstance(data, str) else data
        for name, data in files.items()
    }


def _on_disk(root: Path) -> Files:
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def write_gallery(root: str | Path) -> list[str]:
    """Regenerate the gallery under ``root``; returns the relative paths that changed."""
    root = Path(root)
    wanted = _encode(gallery_files())
    changed = sorted(set(_on_disk(root)) - set(wanted))
    for name in changed:
        (root / name).unlink()
    for name, data in wanted.items():
        path = root / name
        if not path.is_file() or path.read_bytes() != data:
            write_bytes(path, data)
            changed.append(name)
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    return sorted(changed)


def _diff(name: str, old: bytes | None, new: bytes | None) -> str:
    if old is not None and new is not None and (b"\0" in old or b"\0" in new):
        return f"binary file {name} differs\n"
    before = [] if old is None else old.decode("utf-8", "replace").splitlines(keepends=True)
    after = [] if new is None else new.decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(before, after, f"committed/{name}", f"generated/{name}"))


def check_gallery(root: str | Path) -> str:
    """A unified diff between the gallery on disk and what the code produces ('' when equal)."""
    committed, generated = _on_disk(Path(root)), _encode(gallery_files())
    names = sorted(set(committed) | set(generated))
    return "".join(
        _diff(n, committed.get(n), generated.get(n))
        for n in names
        if committed.get(n) != generated.get(n)
    )
