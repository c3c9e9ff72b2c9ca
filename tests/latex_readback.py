"""Read rendered matrix-level LaTeX back into an expression whose products keep their order.

The rendered text is parsed back (not re-rendered from the engine's structure): every display
environment of a document is split into rows (``lhs & = rhs && rule``, continuation lines
``&\\quad …`` joined to the row above), and each right-hand side is parsed by a small
recursive-descent parser for the grammar symnn prints at the matrix level: sums and differences,
``\\odot`` and ``\\oslash``, products by juxtaposition or ``\\cdot`` (the line breaker's joiner),
``^{T}``, ``\\left( … \\right)`` and scalar coefficients. The quantities themselves (W^{(l)},
δ^{(l)}, ∂a/∂z, diag(σ'(z)), …) are recognised by their LaTeX, printed from the engine's expression.

Both sides become SymPy expressions over *non-commutative* symbols: a matrix product is an ordered
``Mul``, a transpose is ``T(·)``, a Hadamard product ``H(·, ·)`` and a Hadamard quotient
``D(·, ·)``. Comparing their expansions accepts a product broken across lines or written with
different parentheses, and rejects any change of factor order: W (diag(s) − s sᵀ) and
(diag(s) − s sᵀ) W expand to different non-commutative polynomials.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from symnn.core.matexpr import HadamardDivide

_T = sp.Function("T", commutative=False)
_H = sp.Function("H", commutative=False)
_D = sp.Function("D", commutative=False)


def _scaled(make):
    """A linear operation with scalar coefficients taken out: (c u) ⊙ v = c (u ⊙ v)."""

    def build(*args):
        coefficient = sp.Integer(1)
        plain = []
        for arg in args:
            c, rest = sp.expand(arg).as_coeff_Mul()
            if isinstance(sp.expand(arg), sp.Add):
                c, rest = sp.Integer(1), arg
            coefficient *= c
            plain.append(rest)
        return coefficient * make(*plain)

    return build


T, H, D = _scaled(_T), _scaled(_H), _scaled(_D)


def atom(text: str) -> sp.Symbol:
    return sp.Symbol(text, commutative=False)


def engine_form(expr: sp.Basic, printer) -> tuple[sp.Expr, set[str]]:
    """The engine's matrix expression over non-commutative symbols, and the LaTeX of its atoms."""
    atoms: set[str] = set()

    def walk(e: sp.Basic) -> sp.Expr:
        if isinstance(e, sp.MatMul):
            return sp.Mul(*[walk(a) for a in e.args])
        if isinstance(e, sp.MatAdd):
            return sp.Add(*[walk(a) for a in e.args])
        if isinstance(e, sp.Transpose) and not isinstance(e.arg, sp.OneMatrix):
            return T(walk(e.arg))
        if isinstance(e, sp.HadamardProduct):
            result = walk(e.args[0])
            for arg in e.args[1:]:
                result = H(result, walk(arg))
            return result
        if isinstance(e, HadamardDivide):
            return D(walk(e.args[0]), walk(e.args[1]))
        if e.is_Float:
            return sp.Rational(repr(float(e)))
        if e.is_Number:
            return e
        text = printer.doprint(e)
        atoms.add(text)
        return atom(text)

    return walk(expr), atoms


@dataclass(frozen=True)
class RenderedRow:
    lhs: str
    rhs: str


_ENVIRONMENTS = re.compile(r"\\begin\{(align\*|aligned)\}(.*?)\\end\{\1\}", re.S)


def _strip_command(text: str, command: str, keep: bool) -> str:
    """Remove ``command<…>{…}`` wrappers (keeping their argument when ``keep``)."""
    out = []
    i = 0
    while True:
        j = text.find(command, i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        k = j + len(command)
        if text.startswith("<", k):
            k = text.index(">", k) + 1
        assert text[k] == "{", text[j : j + 40]
        depth, m = 0, k
        while True:
            depth += {"{": 1, "}": -1}.get(text[m], 0)
            if depth == 0:
                break
            m += 1
        if keep:
            out.append(text[k + 1 : m])
        i = m + 1


def _cells(line: str) -> list[str]:
    """A line's cells split at top-level ``&`` (never inside braces)."""
    cells, depth, start = [], 0, 0
    for i, ch in enumerate(line):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if ch == "&" and depth == 0 and line[i - 1 : i] != "\\":
            cells.append(line[start:i])
            start = i + 1
    cells.append(line[start:])
    return cells


def rendered_rows(document: str) -> list[RenderedRow]:
    """Every ``lhs = rhs`` row of every align*/aligned display, continuation lines joined."""
    rows: list[RenderedRow] = []
    for match in _ENVIRONMENTS.finditer(document):
        body = _strip_command(match.group(2), r"\tag*", keep=False)
        body = _strip_command(body, r"\uncover", keep=True)
        # Cases (Piecewise) have their own & and \\: each is one opaque piece of a row.
        body = re.sub(r"\\begin\{cases\}.*?\\end\{cases\}", "CASES", body, flags=re.S)
        for line in re.split(r"\\\\(?:\[1ex\])?", body):
            if not line.strip():
                continue
            cells = [c.strip() for c in _cells(line)]
            if not any(cells):  # a Beamer note's own line below its row: "& \tag*{…}"
                continue
            # "lhs & rhs && rule": the rule follows an empty cell; a grid has none.
            empty = [i for i in range(2, len(cells), 2) if not cells[i]]
            cells = cells[: empty[0]] if empty else cells
            for lhs, rhs in zip(cells[0::2], cells[1::2], strict=False):
                rhs = rhs.removeprefix("{}").strip()
                if rhs.startswith(r"\qquad"):  # a rule on a line of its own (maybe in an \rlap)
                    continue
                if rhs.startswith(r"\quad"):
                    last = rows.pop()
                    rows.append(RenderedRow(last.lhs, last.rhs + " " + rhs[len(r"\quad") :]))
                else:
                    assert rhs.startswith("="), line
                    rows.append(RenderedRow(lhs, rhs[1:].strip()))
    return rows


_NUMBER = re.compile(r"\d+(?:\.\d+)?|\\frac\{(\d+)\}\{(\d+)\}")


class _Parser:
    def __init__(self, text: str, atoms: set[str]) -> None:
        self.text = text
        self.atoms = sorted(atoms, key=len, reverse=True)
        self.i = 0

    def error(self, what: str) -> AssertionError:
        return AssertionError(f"{what} at {self.text[self.i : self.i + 30]!r} in {self.text!r}")

    def skip(self) -> None:
        while True:
            if self.text.startswith("{}", self.i):  # an empty group before a continued sum
                self.i += 2
            elif self.i < len(self.text) and self.text[self.i] == " ":
                self.i += 1
            else:
                return

    def take(self, token: str) -> bool:
        self.skip()
        if self.text.startswith(token, self.i):
            if token[-1].isalpha():  # \cdot must not match \cdots
                end = self.i + len(token)
                if end < len(self.text) and self.text[end].isalpha():
                    return False
            self.i += len(token)
            return True
        return False

    def done(self) -> bool:
        self.skip()
        return self.i >= len(self.text)

    def sum(self) -> sp.Expr:
        negative = self.take("-")
        result = self.hadamard()
        result = -result if negative else result
        while True:
            if self.take("+"):
                result = result + self.hadamard()
            elif self.take("-"):
                result = result - self.hadamard()
            else:
                return result

    def hadamard(self) -> sp.Expr:
        result = self.product()
        while True:
            if self.take(r"\odot"):
                result = H(result, self.product())
            elif self.take(r"\oslash"):
                result = D(result, self.product())
            else:
                return result

    def product(self) -> sp.Expr:
        factors = [self.postfix()]
        while True:
            self.take(r"\cdot")
            self.skip()
            rest = self.text[self.i :]
            if not rest or rest[0] in "+-" or rest.startswith((r"\right)", r"\odot", r"\oslash")):
                return sp.Mul(*factors)
            factors.append(self.postfix())

    def postfix(self) -> sp.Expr:
        result = self.primary()
        while self.take("^{T}"):
            result = T(result)
        return result

    def primary(self) -> sp.Expr:
        self.skip()
        if self.take(r"\left("):
            inner = self.sum()
            if not self.take(r"\right)"):
                raise self.error("expected \\right)")
            return inner
        for text in self.atoms:
            if self.text.startswith(text, self.i):
                self.i += len(text)
                return atom(text)
        if self.take(r"\mathbf{1}"):
            return atom(r"\mathbf{1}")
        number = _NUMBER.match(self.text, self.i)
        if number:
            self.i = number.end()
            if number.group(1):
                return sp.Rational(int(number.group(1)), int(number.group(2)))
            return sp.Rational(number.group(0))
        raise self.error("unreadable factor")


def read_back(text: str, atoms: set[str]) -> sp.Expr:
    """The rendered right-hand side ``text`` as an expression over non-commutative symbols."""
    # A bracket broken across lines closes with \right. and reopens with \left. (layout only).
    text = text.replace(r"\right.", "").replace(r"\left.", "")
    parser = _Parser(text, atoms)
    result = parser.sum()
    if not parser.done():
        raise parser.error("left over")
    return result


def same_order(rendered: str, expr: sp.Basic, printer) -> bool:
    """Whether the rendered LaTeX states ``expr``, every product in the engine's order."""
    expected, atoms = engine_form(expr, printer)
    got = read_back(rendered, atoms)
    return sp.expand(got - expected) == 0
