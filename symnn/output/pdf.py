"""Compiling LaTeX to PDF with pdflatex: no shell escape, a private folder, a time limit.

The document is written to a fresh temporary folder and compiled there with
``-no-shell-escape -interaction=nonstopmode -halt-on-error``; kpathsea is told to read and write
only inside that folder (``openin_any``/``openout_any`` paranoid), so even a document that tried
``\\input{/etc/passwd}`` or ``\\write18`` could not reach outside it. ``SOURCE_DATE_EPOCH`` makes
the PDF the same bytes on every run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from symnn.core.errors import SymnnError

INSTALL_HINT = (
    "install TeX Live (Debian/Ubuntu: apt-get install texlive-latex-base "
    "texlive-latex-recommended; Beamer slides also need texlive-pictures)"
)
_ERROR = re.compile(r"^! (.*)$", re.MULTILINE)
_LINE = re.compile(r"^l\.(\d+) ?(.*)$", re.MULTILINE)


def pdflatex() -> str | None:
    """The pdflatex executable on PATH, or None."""
    return shutil.which("pdflatex")


def has_package(name: str) -> bool:
    """Whether TeX can find ``name`` (e.g. "beamer.cls", "pgf.sty"); False without kpsewhich."""
    kpsewhich = shutil.which("kpsewhich")
    if kpsewhich is None:
        return False
    found = subprocess.run([kpsewhich, name], capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())


def first_error(log: str) -> str:
    """The first error a pdflatex log reports, with the input line it names.

    Examples:
        >>> first_error("x\\n! Undefined control sequence.\\nl.7 \\\\foo\\n")
        'Undefined control sequence. (line 7: \\\\foo)'
    """
    match = _ERROR.search(log)
    if match is None:
        return "no error message in the log"
    message = match.group(1).strip()
    line = _LINE.search(log, match.end())
    if line is not None:
        message += f" (line {line.group(1)}: {line.group(2).strip()})"
    return message


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "openin_any": "p",
            "openout_any": "p",
            "shell_escape": "f",
            "SOURCE_DATE_EPOCH": "0",
            "FORCE_SOURCE_DATE": "1",
        }
    )
    return env


def compile_pdf(tex: str, timeout: float = 60) -> bytes:
    """Compile a standalone LaTeX document and return the PDF's bytes.

    Raises SymnnError when pdflatex is missing, runs out of time, or reports an error (the log's
    first error is named), and when the log mentions an undefined control sequence.
    """
    executable = pdflatex()
    if executable is None:
        raise SymnnError(f"pdflatex not found on PATH; {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="symnn-latex-") as folder:
        source = Path(folder) / "document.tex"
        source.write_text(tex, encoding="utf-8")
        command = [
            executable,
            "-no-shell-escape",
            "-interaction=nonstopmode",
            "-halt-on-error",
            source.name,
        ]
        try:
            subprocess.run(
                command,
                cwd=folder,
                env=_environment(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SymnnError(f"pdflatex took longer than {timeout:g} s and was stopped") from None
        log_path = Path(folder) / "document.log"
        log = log_path.read_text(encoding="latin-1") if log_path.exists() else ""
        pdf = Path(folder) / "document.pdf"
        if "Undefined control sequence" in log or _ERROR.search(log) or not pdf.exists():
            raise SymnnError(f"pdflatex failed: {first_error(log)}")
        return pdf.read_bytes()
