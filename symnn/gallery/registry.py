"""The gallery registry: every entry of ``derivations/`` and the index that lists them.

The entry modules (``symnn.gallery.networks``, then ``symnn.gallery.refresher``) register their
examples here; ``symnn.gallery.write`` imports both and writes what is registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from symnn.core.registry import Registry

Files = dict[str, str | bytes]


@dataclass(frozen=True)
class Example:
    """A gallery entry: a folder of files built by ``build`` (file name -> content)."""

    folder: str
    title: str
    summary: str
    build: Callable[[], Files]


EXAMPLES: Registry[Example] = Registry("gallery example")


def example(folder: str, title: str, summary: str):
    """Register the decorated builder as a gallery example."""

    def register(build: Callable[[], Files]) -> Callable[[], Files]:
        EXAMPLES.add(folder, Example(folder, title, summary, build))
        return build

    return register


def _index(built: dict[str, Files]) -> str:
    lines = [
        "# The symnn gallery",
        "",
        "Every file here is produced by `symnn gallery` from `symnn/gallery/networks.py`; CI runs",
        "`symnn gallery --check`, so nothing in this folder can drift from the code.",
        "",
    ]
    for name, files in built.items():
        entry = EXAMPLES[name]
        lines += [f"## [{entry.title}]({entry.folder}/)", "", entry.summary, ""]
        lines += [f"- [{file}]({entry.folder}/{file})" for file in sorted(files)]
        lines.append("")
    return "\n".join(lines)


def gallery_files() -> Files:
    """Every gallery file, by path relative to the gallery folder."""
    built = {name: EXAMPLES[name].build() for name in EXAMPLES}
    files: Files = {"README.md": _index(built)}
    for name, entry_files in built.items():
        for file, content in entry_files.items():
            files[f"{EXAMPLES[name].folder}/{file}"] = content
    return files
