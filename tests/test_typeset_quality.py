"""The typeset pages a reader sees: every LaTeX file of the gallery, and a standalone document of
every command, compiles with no overfull box wider than 1pt and no Type 3 (bitmap) font.

The gallery's fragments are compiled together, once per session, inside the one preamble every
standalone document uses (templates/_preamble.tex.j2); each overfull box is traced back to its
file by the log's line numbers.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from symnn.cli.main import main
from symnn.output.pdf import _environment, has_package, pdflatex
from symnn.output.render import render
from tests.render_cases import ROOT

GALLERY_TEX = sorted((ROOT / "derivations").glob("*/*.tex"))
EXAMPLES = ROOT / "examples"
_OVERFULL = re.compile(
    r"^Overfull \\([hv])box \((\d+(?:\.\d+)?)pt too (?:wide|high)\)[^\n]*?lines? (\d+)", re.M
)

pytestmark = pytest.mark.skipif(
    pdflatex() is None or shutil.which("pdffonts") is None,
    reason="pdflatex and pdffonts are needed (texlive-latex-base, poppler-utils)",
)


def compile_document(tex: str, folder: Path, name: str) -> tuple[str, str]:
    """Compile ``tex`` in ``folder``; the log and pdffonts' report (the PDF must exist)."""
    (folder / f"{name}.tex").write_text(tex, encoding="utf-8")
    subprocess.run(
        ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", name],
        cwd=folder,
        env=_environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=300,
        check=False,
    )
    log = (folder / f"{name}.log").read_text(encoding="latin-1")
    pdf = folder / f"{name}.pdf"
    assert pdf.exists() and "Undefined control sequence" not in log, log[-2000:]
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    return log, fonts.stdout


def overfull(log: str) -> list[tuple[float, int]]:
    """(points, input line) of every overfull box wider than 1pt."""
    return [(float(pt), int(line)) for _, pt, line in _OVERFULL.findall(log) if float(pt) > 1.0]


def type3(fonts: str) -> list[str]:
    return [line for line in fonts.splitlines() if " Type 3 " in line]


def _as_used(path: Path) -> str:
    """A fragment as documents use it: a circuit is scaled to the line, as program articles do."""
    text = path.read_text()
    if path.stem.endswith("_circuit"):
        return "\\resizebox{\\linewidth}{!}{%\n" + text + "}\n"
    return text


@pytest.fixture(scope="session")
def gallery_build(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gallery-pdf")
    head = (
        "\\documentclass[11pt]{article}\n"
        + render("_preamble.tex.j2", {})
        + "\\usepackage{tikz}\n"  # the computational-graph circuits
        + "\\begin{document}\n"
    )
    lines, starts = head.count("\n"), []
    body = []
    for path in GALLERY_TEX:
        text = (
            f"\\section*{{{path.parent.name}/{path.name.replace('_', ' ')}}}\n"
            + _as_used(path)
            + "\n\\clearpage\n"
        )
        starts.append((lines + 1, path))
        lines += text.count("\n")
        body.append(text)
    log, fonts = compile_document(head + "".join(body) + "\\end{document}\n", folder, "gallery")
    return log, fonts, starts, folder / "gallery.pdf"


def _file_at(line: int, starts) -> str:
    name = "preamble"
    for start, path in starts:
        if start <= line:
            name = f"{path.parent.name}/{path.name}"
    return name


def test_gallery_latex_has_no_overfull_box(gallery_build):
    log, _, starts, _ = gallery_build
    found = [f"{_file_at(line, starts)}: {pt}pt" for pt, line in overfull(log)]
    assert not found, "overfull boxes:\n" + "\n".join(found)


def test_gallery_latex_has_no_type3_font(gallery_build):
    _, fonts, _, _ = gallery_build
    assert not type3(fonts), fonts


def test_gallery_matrix_notes_stay_in_the_text_block(gallery_build):
    """A rule note set below a narrow centred display sits in an \\rlap: LaTeX reports no
    overfull box for it, so its words' boxes are measured against the 2.5cm margins."""
    *_, pdf = gallery_build
    pages = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    owner, name = {}, ""
    for number, text in enumerate(pages.split("\f"), 1):
        name = next((line for line in text.splitlines() if line.endswith(".tex")), name)
        owner[number] = name
    found = [
        f"{owner[page]} (page {page}): {pt}pt"
        for page, pt in words_outside(pdf, margin=2.5 * 72.27 / 2.54, top=0)
        if owner[page].endswith("/matrix.tex")
    ]
    assert not found, "words past the margin:\n" + "\n".join(found)


STANDALONE = {
    "article": ["derive", str(EXAMPLES / "two_two_two.toml"), "--format", "article", "--numeric"],
    "matrix-article": [
        "derive",
        str(EXAMPLES / "deep_relu.toml"),
        "--format",
        "article",
        "--level",
        "matrix",
    ],
    "calc": ["calc", "gradient", "x**2 + 4*y**2", "--at", "1,1", "--format", "tex", "--document"],
    "perceptron": ["perceptron", "--gate", "and", "--format", "tex", "--document"],
    # A long descent table (25 steps: it once ran 132pt past the margin, the f column cut off),
    # in three variables, with momentum: the widest rows of floats.
    "descent-25": [
        *("calc", "descent", "(x - 3)**2 + 2*(y + 1)**2 + (z - 1/3)**2", "--from", "0,0,0"),
        *("--steps", "25", "--momentum", "0.5", "--format", "tex", "--document"),
    ],
    "descent-25-two": [
        *("calc", "descent", "(x - 3)**2 + 2*(y + 1)**2", "--from", "0,0", "--steps", "25"),
        *("--format", "tex", "--document"),
    ],
    # Long exact descents: fractions of dozens of digits (issue 12: rounded in the table, cut
    # short in the steps).
    "descent-exact-40": [
        *("calc", "descent", "x**2/3", "--from", "1", "--steps", "40", "--exact"),
        *("--format", "tex", "--document"),
    ],
    "descent-exact-three": [
        *("calc", "descent", "(x - 3)**2 + 2*(y + 1)**2 + (z - 1/3)**2", "--from", "0,0,0"),
        *("--steps", "25", "--momentum", "0.5", "--exact", "--format", "tex", "--document"),
    ],
    # The letter paper is an option of every command's standalone documents, not of derive only.
    "calc-letter": [
        *("calc", "taylor", "exp(x)*sin(y)", "--at", "0,0", "--order", "3"),
        *("--format", "article", "--paper", "letter"),
    ],
    "perceptron-letter": ["perceptron", "--gate", "or", "--format", "article", "--paper", "letter"],
}


@pytest.mark.parametrize("name", sorted(STANDALONE))
def test_standalone_documents_use_type1_fonts_and_fit(name, tmp_path):
    path = tmp_path / f"{name}.tex"
    assert main([*STANDALONE[name], "-o", str(path)]) == 0
    text = path.read_text()
    paper = "letterpaper" if name.endswith("-letter") else "a4paper"
    assert f"\\usepackage[{paper},margin=2.5cm]{{geometry}}" in text
    if name.startswith("descent-25"):
        table = text[text.index(r"\begin{tabular}") : text.index(r"\end{tabular}")]
        assert table.count(r"\\") == 27  # the heading, k = 0 and every one of the 25 steps
    log, fonts = compile_document(text, tmp_path, name)
    assert not type3(fonts), fonts
    assert "lmr" in fonts.lower() or "lmroman" in fonts.lower(), fonts
    assert not overfull(log), overfull(log)


def test_the_worked_step_takes_the_letter_paper_too(tmp_path):
    path = tmp_path / "step.tex"
    argv = ["train", str(EXAMPLES / "two_two_two.toml"), "--steps", "1", "--quiet"]
    assert main([*argv, "--worked-step", str(path), "--paper", "letter"]) == 0
    text = path.read_text()
    assert "\\usepackage[letterpaper,margin=2.5cm]{geometry}" in text
    log, fonts = compile_document(text, tmp_path, "step")
    assert not type3(fonts) and not overfull(log), overfull(log)


def test_worked_step_document(tmp_path):
    path = tmp_path / "step.tex"
    argv = ["train", str(EXAMPLES / "two_two_two.toml"), "--steps", "1", "--quiet"]
    assert main([*argv, "--worked-step", str(path)]) == 0
    log, fonts = compile_document(path.read_text(), tmp_path, "step")
    assert not type3(fonts), fonts
    assert not overfull(log), overfull(log)


# Slides at both levels of the 2-2-2, and the matrix level of a wide deep network, whose shapes
# (14 lines) and rules (18) ran 24pt and 15pt off a single frame each: they now go on as many
# frames as hold them. With BP1–BP4, whose boxed statements ran 50pt off their derivation's
# frame; and a CNN, whose layer conventions ran 31pt off the notation frame.
SLIDES = {
    "two-two-two-both": ["two_two_two", "--level", "both"],
    "deep-relu-matrix": ["deep_relu", "--level", "matrix"],
    "deep-relu-matrix-bp": ["deep_relu", "--level", "matrix", "--bp-equations"],
    "cnn-matrix": ["cnn", "--level", "matrix"],
    # Stacked gate vectors (an LSTM's 4-gate δ ran its Results frame 58pt too high) and rule
    # notes dropped below their rows, uncounted by the frame splitter (GRU 42pt, the one-layer
    # nets 1.9pt), some wider than the frame (BPTT notes 25pt past it: measured by the words'
    # boxes below, as LaTeX reports no overfull box for a tag).
    "lstm-matrix": ["lstm", "--level", "matrix"],
    "gru-matrix": ["gru", "--level", "matrix"],
    "single-neuron-matrix": ["single_neuron", "--level", "matrix"],
    "softmax-three-classes-matrix": ["softmax_three_classes", "--level", "matrix"],
}


def words_outside(pdf: Path, margin: float = 28.45, top: float = 26) -> list[tuple[int, float]]:
    """(page, points) of words past the text block's side margins (a Beamer frame's 1cm by
    default) on each page, words above ``top`` (a frame's title) excepted."""
    boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True)
    found = []
    for number, page in enumerate(boxes.stdout.split("<page ")[1:], 1):
        width = float(re.search(r'width="([\d.]+)"', page).group(1))
        words = re.findall(r'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="([\d.]+)"', page)
        spans = [(float(a), float(b)) for a, b, bottom in words if float(bottom) > top]
        if spans:
            past = max(margin - min(a for a, _ in spans), max(b for _, b in spans) - width + margin)
            if past > 1:
                found.append((number, round(past, 1)))
    return found


@pytest.mark.parametrize("name", sorted(SLIDES))
def test_beamer_slides_fit(name, tmp_path):
    if not has_package("beamer.cls") or not has_package("pgf.sty"):
        pytest.fail("Beamer needs texlive-latex-recommended and texlive-pictures (pgf)")
    spec, *options = SLIDES[name]
    path = tmp_path / "slides.tex"
    argv = ["derive", str(EXAMPLES / f"{spec}.toml"), "--format", "beamer", *options]
    assert main([*argv, "-o", str(path)]) == 0
    text = path.read_text()
    for frame in text.split("\\begin{frame}")[1:]:  # no slide starts with a bare "="
        first = frame.partition("\\begin{align*}\n")[2].partition("\n")[0]
        assert not first.startswith("\\uncover<1->{}"), frame[:300]
    log, fonts = compile_document(text, tmp_path, "slides")
    assert not type3(fonts), fonts
    assert not overfull(log), overfull(log)
    assert not words_outside(tmp_path / "slides.pdf")
    if spec == "deep_relu":  # the long lists went on more than one frame, none of them cut
        assert "{Shapes (continued)}" in text and "{Rules used (continued)}" in text
