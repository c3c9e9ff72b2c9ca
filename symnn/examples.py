"""The single source of the ``derivations/`` gallery: each example names the files it produces.

Bundled spec files live in ``examples/`` (shipped inside the package as well), so the gallery, the
README and the tests all start from the same specs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from symnn.codegen import element_source
from symnn.derive import derive
from symnn.network import Dense, Network
from symnn.registry import Registry
from symnn.specfile import load_spec

PACKAGE_DIR = Path(__file__).resolve().parent
SPEC_DIRS = (PACKAGE_DIR.parent / "examples", PACKAGE_DIR / "bundled_examples")

Files = dict[str, str | bytes]


def bundled_spec(name: str) -> Path:
    """The path of a bundled spec file, from the source tree or the installed package."""
    for folder in SPEC_DIRS:
        path = folder / name
        if path.is_file():
            return path
    raise FileNotFoundError(f"bundled example {name!r} not found in {[str(d) for d in SPEC_DIRS]}")


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


@example(
    "single-neuron",
    "One sigmoid neuron, chain rule by hand",
    "∂L/∂w for a single sigmoid unit with squared error: the shortest chain rule there is.",
)
def _single_neuron() -> Files:
    net = Network(1, [Dense(1, "sigmoid")], "squared_error", name="single sigmoid neuron")
    return {
        "derivation.txt": str(derive(net, "all", expand=True)) + "\n",
        "gradients.py": element_source(net),
    }


@example(
    "two-two-two",
    "The 2-2-2 sigmoid network, per weight",
    "The classic worked example: every weight's gradient through the δ terms.",
)
def _two_two_two() -> Files:
    net = load_spec(bundled_spec("two_two_two.toml"))
    return {
        "derivation.txt": str(derive(net, ["W1[1,1]", "W2[1,1]"])) + "\n",
        "gradients.py": element_source(net),
    }


def _index(built: dict[str, Files]) -> str:
    lines = [
        "# The symnn gallery",
        "",
        "Every file here is produced by `symnn gallery` from `symnn/examples.py`; CI runs",
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


# The calculus refresher, gradient descent and the perceptron register their gallery entries there.
import symnn.refresher_examples  # noqa: E402, F401
