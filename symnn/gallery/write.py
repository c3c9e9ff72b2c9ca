"""Writing and checking the ``derivations/`` gallery: every file comes from an example registered
in ``symnn.gallery.registry`` (by ``symnn.gallery.networks`` and ``symnn.gallery.refresher``).

``write_gallery`` regenerates the folder; it removes only files that its own manifest
(``.symnn-gallery``, the list of files it wrote last time) names, and it refuses a non-empty folder
without a manifest, so it never deletes anybody's notes. ``check_gallery`` compares without writing
and returns a unified diff of every difference, files no example produces included.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from symnn.core.errors import SymnnError
from symnn.core.files import write_bytes
from symnn.gallery import networks as _networks  # noqa: F401  (registers the network examples)
from symnn.gallery import programs as _programs  # noqa: F401  (the computational graphs)
from symnn.gallery import refresher as _refresher  # noqa: F401  (then the refresher's)
from symnn.gallery.registry import gallery_files

Files = dict[str, bytes]
MANIFEST = ".symnn-gallery"


def _generated() -> Files:
    """The gallery's files and the manifest that lists them."""
    files = _encode(gallery_files())
    listing = "".join(f"{name}\n" for name in sorted(files))
    return {**files, MANIFEST: listing.encode("utf-8")}


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
    on_disk = _on_disk(root)
    if on_disk and MANIFEST not in on_disk:
        raise SymnnError(
            f"{root}: not a symnn gallery (no {MANIFEST} file), so nothing there is ours to "
            "replace; choose a new or empty folder"
        )
    wanted = _generated()
    ours = set(on_disk.get(MANIFEST, b"").decode("utf-8").split())
    changed = sorted(name for name in ours - set(wanted) if name in on_disk)
    for name in changed:
        (root / name).unlink()
    for name, data in wanted.items():
        if on_disk.get(name) != data:
            write_bytes(root / name, data)
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
    committed, generated = _on_disk(Path(root)), _generated()
    names = sorted(set(committed) | set(generated))
    return "".join(
        _diff(n, committed.get(n), generated.get(n))
        for n in names
        if committed.get(n) != generated.get(n)
    )
