"""Every Markdown output renders in KaTeX and in MathJax 3, the engines of MkDocs, GitHub-style
sites and Jupyter: tests/js/render_math.js renders each `$$ … $$` block and `$ … $` formula with
both (from the pinned npm packages in tests/js) and reports TeX errors and source leaking as text
(\\ensuremath, \\text, \\_). Node.js and npm are required: .ci/run installs them, and without them
these tests fail rather than skip.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from symnn.cli.main import main
from tests.render_cases import ROOT

JS = ROOT / "tests" / "js"
EXAMPLES = ROOT / "examples"
GALLERY_MD = sorted((ROOT / "derivations").glob("*/*.md"))

# Fresh outputs of every kind of document, made with the command line as a user would.
FRESH = {
    "element.md": ["derive", str(EXAMPLES / "two_two_two.toml"), "--format", "md"],
    "element-neuron-slash.md": [
        "derive",
        str(EXAMPLES / "two_two_two.toml"),
        "--format",
        "md",
        "--notation",
        "neuron",
        "--partial",
        "slash",
        "--wrt",
        "W1[1,1]",
    ],
    "matrix.md": [
        "derive",
        str(EXAMPLES / "deep_relu.toml"),
        "--format",
        "md",
        "--level",
        "matrix",
    ],
    "both.md": ["derive", str(EXAMPLES / "two_two_two.toml"), "--format", "md", "--level", "both"],
    "numeric.md": ["derive", str(EXAMPLES / "two_two_two.toml"), "--format", "md", "--numeric"],
    "derivative.md": ["calc", "derivative", "x**3 - 2*x", "--at", "2", "--format", "md"],
    "gradient.md": ["calc", "gradient", "x**2 + exp(x*y)", "--at", "1,0", "--format", "md"],
    "directional.md": [
        "calc",
        "directional",
        "x**2 + 3*x*y",
        "--at",
        "1,2",
        "--direction",
        "3,4",
        "--format",
        "md",
    ],
    "linear.md": [
        "calc",
        "linear",
        "x**2 + 4*y**2",
        "--at",
        "1,1",
        "--step",
        "0.1,-0.1",
        "--format",
        "md",
    ],
    "taylor.md": [
        "calc",
        "taylor",
        "exp(x)*sin(y)",
        "--at",
        "0,0",
        "--order",
        "2",
        "--step",
        "0.1,0.2",
        "--format",
        "md",
    ],
    "jacobian.md": ["calc", "jacobian", "x**2*y", "2*x + 3*y", "--format", "md"],
    "hessian.md": ["calc", "hessian", "x**2 + 3*x*y + y**2", "--at", "1,1", "--format", "md"],
    "descent.md": [
        "calc",
        "descent",
        "(x - 3)**2 + 2*(y + 1)**2",
        "--from",
        "0,0",
        "--lr",
        "0.1",
        "--steps",
        "3",
        "--format",
        "md",
    ],
    "perceptron.md": ["perceptron", "--gate", "and", "--format", "md"],
    "perceptron-point.md": [
        "perceptron",
        "--point",
        "1,2",
        "--weights",
        "0.5,-1",
        "--bias",
        "0.25",
        "--format",
        "md",
    ],
}


def _node() -> tuple[str, str]:
    node, npm = shutil.which("node") or shutil.which("nodejs"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail(
            "Node.js and npm are needed for the KaTeX/MathJax tests: apt-get install nodejs npm"
        )
    return node, npm


@pytest.fixture(scope="session")
def renderer() -> list[str]:
    node, npm = _node()
    if (
        not (JS / "node_modules" / "katex").is_dir()
        or not (JS / "node_modules" / "mathjax-full").is_dir()
    ):
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS, check=True, timeout=600)
    return [node, str(JS / "render_math.js")]


def render(renderer: list[str], files: list[Path]) -> dict:
    done = subprocess.run(
        [*renderer, *map(str, files)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _report(result: dict) -> str:
    lines = [
        f"{e['file']} [{e['renderer']}] {e['message']}\n    {e['tex'][:300]}"
        for e in result["errors"]
    ]
    return "\n".join(lines[:20])


@pytest.fixture(scope="session")
def fresh_outputs(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("fresh")
    paths = []
    for name, argv in FRESH.items():
        path = folder / name
        assert main([*argv, "-o", str(path)]) == 0, argv
        paths.append(path)
    step = folder / "worked-step.md"
    argv = ["train", str(EXAMPLES / "two_two_two.toml"), "--steps", "1", "--quiet"]
    assert main([*argv, "--worked-step", str(step)]) == 0
    return [*paths, step]


def test_the_renderers_reject_what_broke_before(renderer, tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text(
        "$$\n\\text{\\ensuremath{\\partial}z/\\ensuremath{\\partial}a}\n$$\n\n"
        "$\\text{w\\_jk}$ and $\\frac{1}{$ and $\\undefinedcommand x$\n"
    )
    result = render(renderer, [bad])
    assert result["formulas"] == 4
    failed = {(e["tex"][:20], e["renderer"]) for e in result["errors"]}
    # KaTeX reads \_ in text; MathJax 3 shows it as source. Each engine fails the rest.
    assert len([f for f in failed if f[1] == "katex"]) == 3, result
    assert len([f for f in failed if f[1] == "mathjax"]) == 4, result


def test_every_gallery_markdown_file_renders(renderer):
    result = render(renderer, GALLERY_MD)
    assert result["formulas"] > 1000
    assert not result["errors"], _report(result)
    print(f"\nKaTeX and MathJax 3 rendered {result['formulas']} gallery formulas")


def test_fresh_outputs_of_every_kind_render(renderer, fresh_outputs):
    result = render(renderer, fresh_outputs)
    assert result["formulas"] > 200
    assert not result["errors"], _report(result)
    print(f"\nKaTeX and MathJax 3 rendered {result['formulas']} fresh formulas")
