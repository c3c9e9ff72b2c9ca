"""The page-keeping rule (issue 18): pdflatex never splits a derivation block across pages.

A kept block (a quantity's derivation under its heading, the "Given" values, the forward pass,
a worked update, the results) is the group the templates open with
``\\begingroup\\interdisplaylinepenalty=10000``. The test marks each block's heading and its last
row with a ``\\write`` of the page number (written when the page is shipped out), compiles the
gallery's documents and checks that both marks land on the same page; each \\subsection* heading
must sit on the page where the block under it starts (no widowed headings).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from symnn.engine import derive
from symnn.gallery.networks import bundled_spec
from symnn.output.document import render_derivation
from symnn.spec.specfile import load_spec

pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is missing")

GALLERY = Path(__file__).resolve().parent.parent / "derivations"
DOCUMENTS = [
    "single-neuron/derivation.tex",
    "two-two-two/neuron.tex",
    "two-two-two/layered.tex",
    "two-two-two/mazur.tex",
    "three-layer-matrix/derivation.tex",
    "softmax-cross-entropy/derivation.tex",
    "softmax-cross-entropy/matrix.tex",
    "residual/derivation.tex",
    "residual/matrix.tex",
    "tied-autoencoder/derivation.tex",
    "tied-autoencoder/matrix.tex",
]
PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[a4paper,margin=2.5cm]{geometry}
\usepackage{amsmath}
\usepackage{amssymb}
\usepackage{tikz}
\newwrite\symnnpages
\immediate\openout\symnnpages=\jobname.pages
\DeclareRobustCommand\symnnmark[1]{\write\symnnpages{#1 \thepage}}
\begin{document}
"""
KEPT = re.compile(
    r"\\begingroup\\interdisplaylinepenalty=10000(?:\\postdisplaypenalty=10000)?\\relax\n"
    r"(.*?)\\endgroup",
    re.S,
)
HEADING = re.compile(r"\\(?:subsection\*|paragraph|subparagraph)\{")
END = re.compile(r"\\end\{(?:align|gather)\*\}")


def marked(text: str) -> tuple[str, int]:
    """The document with page marks around every kept block and at every subsection heading."""
    count = 0

    def block(match: re.Match) -> str:
        nonlocal count
        count += 1
        body = match.group(1)
        heading = HEADING.search(body)
        if heading is not None:
            body = f"{body[: heading.end()]}\\symnnmark{{s{count}}}{body[heading.end() :]}"
        else:
            start = "\\begin{align*}\n"
            body = body.replace(start, f"{start}\\symnnmark{{s{count}}}", 1)
        last = list(END.finditer(body))[-1]
        body = f"{body[: last.start()]}\\symnnmark{{e{count}}}{body[last.start() :]}"
        return match.group(0).replace(match.group(1), body)

    text = KEPT.sub(block, text)
    # Other content a heading may stand over: list items and displays outside kept blocks.
    others = iter(range(1, 10_000))
    text = re.sub(
        r"\\item |\\\[\n|\\begin\{gather\*\}\n(?!\\symnnmark)",
        lambda m: f"{m.group(0)}\\symnnmark{{o{next(others)}}}",
        text,
    )
    headings = iter(range(1, 10_000))
    text = re.sub(
        r"\\subsection\*\{(?!\\symnnmark)",
        lambda m: f"{m.group(0)}\\symnnmark{{h{next(headings)}}}",
        text,
    )
    return text, count


def pages_of(text: str, tmp_path: Path) -> list[tuple[str, int]]:
    source = tmp_path / "doc.tex"
    source.write_text(PREAMBLE + text + "\n\\end{document}\n", encoding="utf-8")
    run = subprocess.run(
        ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    lines = (tmp_path / "doc.pages").read_text().split()
    return [(lines[i], int(lines[i + 1])) for i in range(0, len(lines), 2)]


def split_blocks(marks: list[tuple[str, int]]) -> list[str]:
    """Blocks whose heading and last row are on different pages, and widowed headings."""
    page = dict(marks)
    problems = [
        f"block {name[1:]} starts on page {p} and ends on page {page['e' + name[1:]]}"
        for name, p in marks
        if name.startswith("s") and page["e" + name[1:]] != p
    ]
    for i, (name, p) in enumerate(marks):
        if name.startswith("h"):
            following = next((q for n, q in marks[i + 1 :] if n[0] in "so"), p)
            if following != p:
                problems.append(f"heading {name} on page {p}, its block on page {following}")
    return problems


@pytest.mark.parametrize("name", DOCUMENTS)
def test_gallery_blocks_are_never_split_across_pages(name, tmp_path):
    text, count = marked((GALLERY / name).read_text(encoding="utf-8"))
    assert count >= 3, f"{name}: expected kept blocks, found {count}"
    marks = pages_of(text, tmp_path)
    assert max(p for _, p in marks) >= 1
    assert split_blocks(marks) == [], name


def test_an_article_with_numbers_keeps_its_blocks(tmp_path):
    net = load_spec(bundled_spec("two_two_two.toml"))
    text = render_derivation(derive(net, "all"), "tex", notation="neuron", numeric=True, digits=9)
    marked_text, _ = marked(text)
    marks = pages_of(marked_text, tmp_path)
    assert max(p for _, p in marks) >= 4  # long enough for page breaks to matter
    assert split_blocks(marks) == []


def test_the_check_sees_a_split_block(tmp_path):
    """The check can fail: a block of 80 rows allowed to break does split."""
    rows = " \\\\\n".join(f"x_{{{i}}} &= {i}" for i in range(80))
    text = (
        "\\begingroup\\interdisplaylinepenalty=10000\\relax\n\\paragraph{Long}\n"
        f"\\interdisplaylinepenalty=0\n\\begin{{align*}}\n{rows}\n\\end{{align*}}\n\\endgroup\n"
    )
    marked_text, count = marked(text)
    assert count == 1
    assert split_blocks(pages_of(marked_text, tmp_path))
