"""The committed gallery matches the code, and its output is byte-stable across hash seeds."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from symnn.gallery.write import check_gallery, write_gallery
from symnn.output.pdf import compile_pdf, pdflatex

ROOT = Path(__file__).resolve().parent.parent


def run(*args, env=None, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "symnn", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def test_committed_gallery_matches_the_code():
    result = run("gallery", "--check")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr


def test_gallery_is_byte_identical_under_different_hash_seeds(tmp_path):
    folders = []
    for seed in ("0", "1", "12345"):
        folder = tmp_path / f"seed{seed}"
        assert run("gallery", "--dir", folder, env={"PYTHONHASHSEED": seed}).returncode == 0
        folders.append(folder)
    first = {
        p.relative_to(folders[0]): p.read_bytes() for p in folders[0].rglob("*") if p.is_file()
    }
    assert first
    for other in folders[1:]:
        files = {p.relative_to(other): p.read_bytes() for p in other.rglob("*") if p.is_file()}
        assert files == first


def test_check_reports_drift_and_never_writes(tmp_path):
    write_gallery(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text(readme.read_text() + "hand edit\n")
    stray = tmp_path / "stray.txt"
    stray.write_text("not from the code\n")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    diff = check_gallery(tmp_path)
    assert "-hand edit" in diff and "committed/stray.txt" in diff
    result = run("gallery", "--check", "--dir", tmp_path)
    assert result.returncode == 1 and "out of date" in result.stderr
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    write_gallery(tmp_path)  # restores what is ours; a file we never wrote is left to its owner
    assert stray.exists() and "committed/stray.txt" in check_gallery(tmp_path)
    stray.unlink()
    assert check_gallery(tmp_path) == ""


def test_writing_never_deletes_files_it_did_not_write(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "lecture.tex").write_text("my notes\n")
    result = run("gallery", "--dir", notes)
    assert result.returncode == 2 and "not a symnn gallery" in result.stderr
    assert [p.name for p in notes.iterdir()] == ["lecture.tex"]


GALLERY_TEX = sorted((ROOT / "derivations").rglob("*.tex"))


@pytest.mark.skipif(pdflatex() is None, reason="pdflatex is missing: install texlive-latex-base")
@pytest.mark.parametrize(
    "path", GALLERY_TEX, ids=[p.relative_to(ROOT).as_posix() for p in GALLERY_TEX]
)
def test_gallery_latex_compiles(path):
    """Each fragment compiles inside the smallest document its header asks for."""
    text = path.read_text()
    # A circuit diagram says in its header that it needs TikZ.
    tikz = "\\usepackage{tikz}\n" if "% requires: tikz" in text[:400] else ""
    document = (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{amssymb}\n"
        f"{tikz}"
        f"\\begin{{document}}\n{text}\n\\end{{document}}\n"
    )
    assert compile_pdf(document).startswith(b"%PDF")
