"""Rows of a displayed derivation: ``lhs = rhs`` split into lines that fit the page.

Layout only: no maths happens here. A row's right-hand side is a sequence of pieces, each with
the symbol that joins it to what came before (``=``, ``+``, ``\\cdot``, ``\\odot`` or nothing when
the piece carries its own minus sign). Long sums break between terms and long products between
factors (never reordered), so no line runs off the page; templates print the lines as given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import sympy as sp

from symnn.printing.latex import textbook_order

PAPERS = ("a4", "letter")  # standalone documents (templates/_preamble.tex.j2)

# Commands that typeset nothing by themselves (their argument is measured instead).
_SILENT = {"left", "right", "mathrm", "operatorname", "mathbb", "mathbf", "quad", "qquad", "big"}


@dataclass(frozen=True)
class Piece:
    """One expression on a line and what joins it to the one before: "=", "+", r"\\cdot" or "".

    ``before`` and ``after`` are the signs and brackets around it when a bracketed sum is broken
    inside (r"\\left(" before its first term, r"\\right)" after its last); a line that ends
    inside a bracket closes it with r"\\right." and the next opens with r"\\left.".
    """

    joiner: str
    expr: sp.Basic
    before: str = ""
    after: str = ""


@dataclass(frozen=True)
class Line:
    """One displayed line; ``continued`` lines hang under the first one's right-hand side."""

    pieces: tuple[Piece, ...]
    continued: bool


@dataclass(frozen=True)
class Row:
    """``lhs = …`` over one or more lines, with the rule in words; lhs None repeats the last one."""

    lhs: sp.Basic | None
    lines: tuple[Line, ...]
    rule: str = ""
    wide: bool = False  # some single term is wider than the page on its own
    rule_below: bool = False  # the rule is too long to sit beside the maths: a line of its own
    rule_lines: tuple[str, ...] = ()  # a rule below, in lines that fit (the rule when empty)
    rule_tex: bool = False  # the lines are a formula rule's LaTeX broken, not its words
    note_size: float = 1.0  # the height of one line of a rule below, in displayed lines
    span: float = 0.0  # about how many characters the widest line of the right-hand side takes
    extra: int = 0  # lines beyond one each that its tall lines (a stacked vector) take

    @property
    def height(self) -> float:
        """About how many lines the row takes displayed: its own, tall ones counted as several,
        and a rule set below it at its own size (slides are split by this, so it must not be
        undercounted, nor a small note counted as a line of fractions: frames held 1 or 2 rows)."""
        return len(self.lines) + self.extra + self.note_size * len(self.below)

    @property
    def below(self) -> tuple[str, ...]:
        """The lines of a rule set below its row (none when it sits beside the maths)."""
        if not self.rule_below:
            return ()
        return self.rule_lines or (self.rule,)


class Paren(sp.Function):
    """A factor shown in parentheses when a product is broken across lines."""

    nargs = 1

    def _latex(self, printer) -> str:
        return rf"\left({printer._print(self.args[0])}\right)"


def _group(text: str, start: int) -> tuple[str, int]:
    """The brace group starting at ``start`` (or the single token there) and the index after it."""
    if start >= len(text):
        return "", start
    if text[start] != "{":
        if text[start] == "\\":
            end = start + 1
            while end < len(text) and text[end].isalpha():
                end += 1
            return text[start : max(end, start + 2)], max(end, start + 2)
        return text[start], start + 1
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start + 1 : i], i + 1
    return text[start + 1 :], len(text)


def visible_width(tex: str) -> float:
    """About how many characters wide a LaTeX math string prints (subscripts count less).

    Examples:
        >>> visible_width(r"\\frac{\\partial L}{\\partial w}") <= 3
        True
        >>> visible_width("a + b")
        3.0
    """
    width = 0.0
    i = 0
    while i < len(tex):
        ch = tex[i]
        if ch in " &":
            i += 1
        elif ch in "^_":
            group, i = _group(tex, i + 1)
            width += 0.6 * visible_width(group)
        elif ch == "{" or ch == "}":
            group, i = _group(tex, i) if ch == "{" else ("", i + 1)
            width += visible_width(group)
        elif ch == "\\":
            name, i = _group(tex, i)
            name = name[1:]
            if name == "frac":
                top, i = _group(tex, i)
                bottom, i = _group(tex, i)
                width += max(visible_width(top), visible_width(bottom))
            elif name == "text":
                words, i = _group(tex, i)
                width += 0.8 * len(words)
            elif name not in _SILENT and name not in ("{", "}", ",", ";", "!"):
                width += 1
        else:
            width += 1
            i += 1
    return width


def _signed(expr: sp.Basic) -> bool:
    extract = getattr(expr, "could_extract_minus_sign", None)
    return bool(extract is not None and extract())


def _unsigned_factors(product: sp.MatMul) -> tuple[bool, list[sp.Basic]]:
    """A matrix product's factors in order, signs gathered in front (never re-evaluated: that
    would merge 𝟏 𝟏ᵀ and re-sort the factors of ⊙)."""
    negative, factors = False, []
    for factor in product.args:
        if isinstance(factor, sp.MatMul) and factor.args[0].is_Number and factor.args[0] < 0:
            coefficient, *rest = factor.args
            negative = not negative
            if coefficient != -1:
                factors.append(-coefficient)
            factor = rest[0] if len(rest) == 1 else sp.MatMul(*rest, evaluate=False)
        if factor.is_Number and factor < 0:
            negative = not negative
            factor = -factor
        if factor != 1:
            factors.append(factor)
    return negative, factors


def _cut(piece: Piece) -> list[Piece]:
    """A piece cut once where a line may break: a sum into its terms, a product into its factors,
    a bracketed sum into its terms inside the brackets. The order is never changed."""
    expr = piece.expr
    if isinstance(expr, Paren):
        inner = _cut(Piece(piece.joiner, expr.args[0]))
        if len(inner) < 2:
            return [piece]
        first, last = inner[0], inner[-1]
        inner[0] = replace(first, before=piece.before + r"\left(" + first.before)
        last = inner[-1]
        inner[-1] = replace(last, after=last.after + r"\right)" + piece.after)
        return inner
    if isinstance(expr, sp.Add):
        terms = textbook_order(expr)
        atoms = [Piece(piece.joiner, terms[0])]
        for term in terms[1:]:
            atoms.append(Piece("" if term.could_extract_minus_sign() else "+", term))
    elif isinstance(expr, sp.HadamardProduct):  # u ⊙ v breaks before the ⊙, in order
        factors = [Paren(f) if isinstance(f, sp.MatAdd | sp.MatMul) else f for f in expr.args]
        atoms = [Piece(piece.joiner, factors[0])] + [Piece(r"\odot", f) for f in factors[1:]]
    elif isinstance(expr, sp.Mul):
        if isinstance(expr, sp.MatMul):
            negative, args = _unsigned_factors(expr)
        else:
            negative = expr.could_extract_minus_sign()
            args = list(textbook_order(-expr if negative else expr))
        # A sum, or a factor carrying its own minus sign, is bracketed: "A · −B" misreads.
        factors = [Paren(f) if isinstance(f, sp.Add) or _signed(f) else f for f in args]
        if not factors:
            factors = [sp.Integer(1)]
        joiner, sign = piece.joiner, ""
        if negative and factors[0].is_Number:
            factors[0] = -factors[0]
        elif negative and joiner == "+":
            joiner = "-"
        elif negative:
            sign = "- "
        atoms = [Piece(joiner, factors[0], before=sign)]
        atoms += [Piece(r"\cdot", f) for f in factors[1:]]
    else:
        return [piece]
    if len(atoms) < 2 and atoms[0].expr == expr:
        return [piece]
    atoms[0] = replace(atoms[0], before=piece.before + atoms[0].before)
    atoms[-1] = replace(atoms[-1], after=atoms[-1].after + piece.after)
    return atoms


# A part of a cut piece is cut again only when this much wider than a line: a term a little
# too long reads better whole on its own line than broken between its factors.
RECUT = 1.25


def _atoms(
    piece: Piece, measure: Callable[[sp.Basic], float], width: float, limit: float | None = None
) -> list[Piece]:
    """A piece cut where a line may break, and a part still far too wide cut again."""
    if measure(piece.expr) <= (width if limit is None else limit):
        return [piece]
    parts = _cut(piece)
    if len(parts) == 1:
        return parts
    return [atom for part in parts for atom in _atoms(part, measure, width, RECUT * width)]


def _brackets(lines: list[list[Piece]]) -> list[list[Piece]]:
    """Each line's brackets balanced: one left open is closed by ``\\right.`` and reopened on the
    next line by ``\\left.`` (LaTeX pairs ``\\left`` and ``\\right`` within one cell)."""
    depth = 0
    result = []
    for pieces in lines:
        start = depth
        for piece in pieces:
            depth += piece.before.count(r"\left(") - piece.after.count(r"\right)")
        pieces = list(pieces)
        if start:
            pieces[0] = replace(pieces[0], before=r"\left. " * start + pieces[0].before)
        if depth:
            pieces[-1] = replace(pieces[-1], after=pieces[-1].after + r" \right." * depth)
        result.append(pieces)
    return result


def matrix_lines(tex: str) -> int:
    """About how many text lines a printed line takes: a stacked vector of fractions of n rows
    takes about 2n/3 of them (an LSTM's 4-gate δ ran a Beamer frame 58pt too high).

    Examples:
        >>> matrix_lines("a + b"), matrix_lines(r"\\begin{matrix}a\\\\b\\\\c\\\\d\\end{matrix}")
        (1, 3)
    """
    bodies = re.findall(r"\\begin\{matrix\}(.*?)\\end\{matrix\}", tex, re.S)
    rows = [body.count("\\\\") + 1 for body in bodies]
    return max([1] + [-(-2 * n // 3) for n in rows])


def _line_width(line: Line, measure: Callable[[sp.Basic], float]) -> float:
    """About how many characters a line takes: its pieces, their joiners and a hanging indent."""
    return sum(measure(piece.expr) + 1 for piece in line.pieces) + (1 if line.continued else 0)


def _pack(atoms: list[Piece], measure: Callable[[sp.Basic], float], width: float) -> list[Line]:
    lines: list[list[Piece]] = [[]]
    used = 0.0
    for atom in atoms:
        size = measure(atom.expr) + 1
        # A new "=" piece starts a new line when the current one is long or a continuation.
        fresh = atom.joiner == "=" and (used > 0.6 * width or len(lines) > 1)
        if lines[-1] and (used + size > width or fresh):
            lines.append([])
            used = 0.0
        lines[-1].append(atom)
        used += size
    return [
        Line(tuple(pieces), continued=i > 0 and pieces[0].joiner != "=")
        for i, pieces in enumerate(_brackets(lines))
    ]


def break_row(
    lhs: sp.Basic | None,
    rhs: Sequence[Piece],
    printer: Callable[[sp.Basic], str],
    width: float,
    rule: str = "",
) -> Row:
    """A row whose right-hand side is broken into lines of at most about ``width`` characters."""

    widths: dict[sp.Basic, float] = {}

    def measure(expr: sp.Basic) -> float:  # each atom is measured by packing and by the span
        if expr not in widths:
            widths[expr] = visible_width(printer(expr))
        return widths[expr]

    atoms = [atom for piece in rhs for atom in _atoms(piece, measure, width)]
    wide = any(measure(atom.expr) > 1.3 * width for atom in atoms)
    lines = tuple(_pack(atoms, measure, width))
    span = max((_line_width(line, measure) for line in lines), default=0.0)
    extra = sum(
        max(matrix_lines(printer(piece.expr)) for piece in line.pieces) - 1
        for line in lines
        if line.pieces
    )
    return Row(lhs, lines, rule, wide, span=span, extra=extra)


# Displays of up to this many lines are kept on one page; longer ones (a forward pass or a list
# of updates for a wide network) may break between rows rather than run off the page.
KEEP_LINES = 24


def line_count(rows: Sequence) -> float:
    """The lines a run of rows takes when displayed (a line of a rule set below a row is one);
    an item that is not a Row (a line of "given" values) takes one."""
    return sum(row.height if isinstance(row, Row) else 1 for row in rows)


def tall(rows: Sequence, limit: int = KEEP_LINES) -> bool:
    """Whether a display is too long to keep on one page (it may then break between rows)."""
    return line_count(rows) > limit


def even(items: Sequence, most: int) -> list[list]:
    """``items`` in as few runs of at most ``most`` as can hold them, of about equal length (a
    list too long for one slide goes on two of half its length, never a full one and a stub).

    Examples:
        >>> [len(run) for run in even(range(14), 10)], [len(run) for run in even(range(3), 10)]
        ([7, 7], [3])
        >>> even([], 10)
        []
    """
    items = list(items)
    parts = -(-len(items) // max(most, 1))
    size = -(-len(items) // max(parts, 1))
    return [items[start : start + size] for start in range(0, len(items), size or 1)]


def pages(rows: Sequence[Row], max_lines: int = 8) -> list[list[Row]]:
    """Rows split into pages (slides) of at most ``max_lines`` displayed lines, rows kept whole.

    A page never starts with a bare "= …": a row that continues the last one names its lhs again.

    Examples:
        >>> row = Row(None, (Line((), False), Line((), True)))
        >>> [len(page) for page in pages([row, row, row], 4)]
        [2, 1]
        >>> x = sp.Symbol("x")
        >>> [page[0].lhs for page in pages([Row(x, (Line((), False),)), row], 1)]
        [x, x]
    """
    result: list[list[Row]] = [[]]
    used = 0.0
    lhs = None
    for row in rows:
        if result[-1] and used + row.height > max_lines:
            result.append([])
            used = 0.0
            if row.lhs is None:  # a page that continues a row names its left-hand side again
                row = replace(row, lhs=lhs)
        result[-1].append(row)
        used += row.height
        lhs = row.lhs if row.lhs is not None else lhs
    return result if result[-1] else []


def balanced(rows: Sequence[Row], most: float) -> list[list[Row]]:
    """Rows on the fewest pages of at most ``most`` lines that hold them, as even as rows kept
    whole allow (a bound of total/pages, rounded up, split rows of 1.6 lines onto a third page).

    Examples:
        >>> row = Row(None, (Line((), False),))
        >>> noted = replace(row, rule="r", rule_below=True, note_size=0.6)
        >>> [len(page) for page in balanced([row, noted, row, noted, noted, row], 5)]
        [3, 3]
    """
    fewest = len(pages(rows, most))
    limit = line_count(rows) / max(fewest, 1)
    while len(pages(rows, limit)) > fewest:
        limit += 0.1
    return pages(rows, limit)
