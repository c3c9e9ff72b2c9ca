"""Generated LaTeX compiles with pdflatex (no shell escape), matches golden files, and user text
that reaches LaTeX stays text.

Golden files live in tests/golden/; after a deliberate change, regenerate them with
``SYMNN_UPDATE_GOLDENS=1 python3 -m pytest tests/test_latex.py`` and review the diff.
"""

import difflib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import symnn.output.pdf
from symnn.core.errors import SymnnError
from symnn.engine import derive
from symnn.output.document import render_derivation
from symnn.output.pdf import compile_pdf, first_error, has_package, pdflatex
from tests.render_cases import HOSTILE_NAME, matrix_derivation, softmax_net, two_two_two

GOLDEN = Path(__file__).resolve().parent / "golden"
needs_pdflatex = pytest.mark.skipif(
    pdflatex() is None,
    reason="pdflatex is missing: install texlive-latex-base and texlive-latex-recommended",
)
MINIMAL = "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{amssymb}\n"


def wrap_fragment(fragment: str) -> str:
    return f"{MINIMAL}\\begin{{document}}\n{fragment}\\end{{document}}\n"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SYMNN_UPDATE_GOLDENS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"no golden file {path}; create it with SYMNN_UPDATE_GOLDENS=1")
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            text.splitlines(keepends=True),
            f"golden/{name}",
            "generated",
        )
        pytest.fail(
            f"{name} differs from its golden file (SYMNN_UPDATE_GOLDENS=1 updates it):\n"
            + "".join(diff)
        )


GOLDENS = {
    "two_two_two_w5_neuron_numeric.tex": lambda: render_derivation(
        derive(two_two_two(), "W2[1,1]"), "article", "neuron", numeric=True, digits=9
    ),
    "two_two_two_w1_numeric.md": lambda: render_derivation(
        derive(two_two_two(), "W1[1,1]"), "md", numeric=True
    ),
    "softmax_layer3_slash_fragment.tex": lambda: render_derivation(
        derive(softmax_net(), "W3"), "tex", partial="slash"
    ),
}


@pytest.mark.parametrize("name", sorted(GOLDENS))
def test_golden_documents(name):
    check_golden(name, GOLDENS[name]())


@needs_pdflatex
def test_fragment_compiles_inside_a_minimal_document():
    d = derive(two_two_two(), "all", expand=True)
    pdf = compile_pdf(wrap_fragment(render_derivation(d, "tex", "neuron", numeric=True)))
    assert pdf.startswith(b"%PDF")


@needs_pdflatex
def test_softmax_article_with_numbers_compiles():
    d = derive(softmax_net(), "all")
    assert compile_pdf(render_derivation(d, "article", numeric=True)).startswith(b"%PDF")


@needs_pdflatex
def test_beamer_slides_compile():
    if not has_package("pgf.sty"):
        pytest.skip("Beamer needs pgf, which Debian ships in texlive-pictures; not installed")
    d = derive(two_two_two(), "W1[1,1]")
    assert compile_pdf(render_derivation(d, "beamer", numeric=True)).startswith(b"%PDF")


@needs_pdflatex
def test_matrix_level_derivation_compiles():
    assert compile_pdf(render_derivation(matrix_derivation(), "article")).startswith(b"%PDF")


@needs_pdflatex
def test_hostile_name_is_printed_not_executed(tmp_path):
    net = softmax_net(name=HOSTILE_NAME)
    tex = render_derivation(derive(net, "W3[1,1]"), "article")
    assert "\\input{/etc/passwd}" not in tex and "\\write18{id}" not in tex
    assert "\\textbackslash{}input\\{/etc/passwd\\}" in tex
    assert "\\ensuremath{\\delta}-Netz für \\ensuremath{\\partial}L/" in tex
    pdf = compile_pdf(tex)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is missing: the PDF's text was not inspected")
    (tmp_path / "hostile.pdf").write_bytes(pdf)
    shown = subprocess.run(
        ["pdftotext", str(tmp_path / "hostile.pdf"), "-"], capture_output=True, text=True
    ).stdout
    # (OT1 draws \_ as a rule, which has no text to extract, and ~ ^ as accents.)
    assert "\\input{/etc/passwd} \\write18{id} 100$ % #" in " ".join(shown.split())
    assert "{x}" in shown and "root:" not in shown


@needs_pdflatex
def test_compile_errors_name_the_first_error():
    broken = MINIMAL + "\\begin{document}\n\\nosuchcommand\n\\end{document}\n"
    with pytest.raises(SymnnError, match="Undefined control sequence.*line 5"):
        compile_pdf(broken)


@needs_pdflatex
def test_pdf_bytes_are_reproducible():
    tex = MINIMAL + "\\begin{document}\n$a^2 + b^2$\n\\end{document}\n"
    assert compile_pdf(tex) == compile_pdf(tex)


def test_missing_pdflatex_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(symnn.output.pdf, "pdflatex", lambda: None)
    with pytest.raises(SymnnError, match="pdflatex not found.*texlive-latex-base"):
        compile_pdf("\\documentclass{article}")


def test_first_error_without_errors():
    assert first_error("This is pdfTeX\n") == "no error message in the log"


@needs_pdflatex
def test_compiler_refuses_files_outside_its_folder_and_shell_commands(tmp_path):
    # Defence in depth, for documents that did not come through the escaping filters.
    reading = MINIMAL + "\\begin{document}\n\\input{/etc/passwd}\n\\end{document}\n"
    with pytest.raises(SymnnError, match="pdflatex failed"):
        compile_pdf(reading)
    marker = tmp_path / "shell-ran"
    shell = MINIMAL + f"\\begin{{document}}\n\\immediate\\write18{{touch {marker}}}x\n"
    compile_pdf(shell + "\\end{document}\n")
    assert not marker.exists()
