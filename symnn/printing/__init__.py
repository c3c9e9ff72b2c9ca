"""Printers: SymPy's LaTeX and NumPy printers, overriding only what symnn writes differently."""

from symnn.printing.code import CodePrinter
from symnn.printing.latex import SymnnLatexPrinter, tex

__all__ = ["CodePrinter", "SymnnLatexPrinter", "tex"]
