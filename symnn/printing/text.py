"""Plain text for terminals and doctests: ∂L/∂w_1_1_1 instead of Derivative(L, w_1_1_1)."""

from __future__ import annotations

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

# Terminal names of symnn's rules and adjoints (LaTeX has its own, from the notation).
_FUNCTIONS = {"Sigmoid": "σ", "NormalCDF": "Φ", "Maximum": "max", "Minimum": "min"}
_ADJOINTS = {"delta": "δ", "dL_da": "∂L/∂a"}


class TextPrinter(StrPrinter):
    """SymPy's str printer with ∂ notation, σ and δ, and factors in recorded order."""

    def __init__(self) -> None:
        super().__init__({"order": "none"})

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        for kind, shown in _ADJOINTS.items():
            if expr.name.startswith(kind + "_") and expr.name[len(kind) + 1 :][:1].isdigit():
                return shown + expr.name[len(kind) :]
        return super()._print_Symbol(expr)

    def _print_Indicator(self, expr: sp.Function) -> str:
        return f"1[{self._print(expr.args[0])} > 0]"

    def _print_PositivePart(self, expr: sp.Function) -> str:
        return f"max(0, {self._print(expr.args[0])})"

    def _print_Function(self, expr: sp.Function) -> str:
        name = _FUNCTIONS.get(type(expr).__name__)
        if name is None:
            return super()._print_Function(expr)
        return f"{name}({self.stringify(expr.args, ', ')})"

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        variables = "".join(
            f"∂{self._print(v)}" + (f"^{n}" if n > 1 else "") for v, n in expr.variable_count
        )
        order = sum(n for _, n in expr.variable_count)
        d = f"∂^{order}" if order > 1 else "∂"
        if isinstance(expr.expr, sp.Add | sp.Mul | sp.Pow):  # ∂(x**2 + y)/∂x, not ∂x**2 + y/∂x
            return f"{d}({self._print(expr.expr)})/{variables}"
        return f"{d}{self._print(expr.expr)}/{variables}"

    def _print_HadamardProduct(self, expr) -> str:
        return " ⊙ ".join(self.parenthesize(arg, 45) for arg in expr.args)

    def _print_MatMul(self, expr) -> str:
        # A rule's 2/N with N = 2 leaves a factor 1 in front: "1*A" states nothing.
        if len(expr.args) > 1 and expr.args[0] == 1:
            rest = expr.args[1:]
            body = rest[0] if len(rest) == 1 else sp.MatMul(*rest, evaluate=False)
            return self.parenthesize(body, 50) if isinstance(body, sp.MatAdd) else self._print(body)
        return super()._print_MatMul(expr)

    def _print_Exp1(self, expr) -> str:
        return "e"  # SymPy's str is "E", which reads as a variable

    def _print_Tuple(self, expr) -> str:
        return f"({', '.join(self._print(arg) for arg in expr.args)})"  # (2), not (2,)


_SUPERSCRIPTS = dict(zip("0123456789-+()nlx", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺⁽⁾ⁿˡˣ", strict=True))


def superscript(text: str) -> str | None:
    """``text`` in Unicode superscripts, or None when a character has none (x² from "2")."""
    if not text or any(ch not in _SUPERSCRIPTS for ch in text):
        return None
    return "".join(_SUPERSCRIPTS[ch] for ch in text)


_SUBSCRIPTS = {str(d): chr(0x2080 + d) for d in range(10)}
_SUBSCRIPTS |= dict(zip("-+aehijklmnoprstuvx", "₋₊ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True))
_LATEX_WORDS = {r"\delta": "δ", r"\partial": "∂", r"\mathrm": "", r"\frac": ""}


def subscript(text: str) -> str | None:
    """``text`` in Unicode subscripts, or None when a character has none (w₁₂ from "12")."""
    lowered = set(_SUBSCRIPTS.values())
    if not text or any(ch not in _SUBSCRIPTS and ch not in lowered for ch in text):
        return None
    return "".join(_SUBSCRIPTS.get(ch, ch) for ch in text)


def latex_name(name: str) -> str:
    r"""A symbol's LaTeX name (``w^{(1)}_{12}``) as prose (w⁽¹⁾₁₂): titles name what the maths
    names, in the document's notation, without LaTeX source.

    Examples:
        >>> latex_name("w^{(1)}_{12}"), latex_name(r"\mathrm{net}_{h_{1}}")
        ('w⁽¹⁾₁₂', 'netₕ₁')
    """
    for command, word in _LATEX_WORDS.items():
        name = name.replace(command, word)
    out, position = "", 0
    while position < len(name):
        ch = name[position]
        if ch in "^_" and name[position + 1 : position + 2] == "{":
            depth, end = 0, position + 1
            for end in range(position + 1, len(name)):
                depth += {"{": 1, "}": -1}.get(name[end], 0)
                if depth == 0:
                    break
            inner = latex_name(name[position + 2 : end])
            script = (superscript if ch == "^" else subscript)(inner)
            out += script if script is not None else f"{ch}({inner})"
            position = end + 1
            continue
        if ch not in "{}":
            out += ch
        position += 1
    return out


class ProsePrinter(TextPrinter):
    """A small expression as it reads in a sentence or title: x², 2·x, e, π, √2, (2)."""

    def _print_Pi(self, expr) -> str:
        return "π"

    def _print_Abs(self, expr) -> str:
        return f"|{self._print(expr.args[0])}|"

    def _print_Pow(self, expr, rational=False) -> str:
        base, exp = expr.args
        if exp == sp.S.Half:
            return f"√{self.parenthesize(base, 60)}"
        if base == sp.E:
            return f"exp({self._print(exp)})"
        if exp.is_Integer and exp < 0:
            return f"1/{self._print(sp.Pow(base, -exp, evaluate=False))}"
        raised = superscript(self._print(exp))
        if raised is not None:
            return self.parenthesize(base, 60) + raised
        return f"{self.parenthesize(base, 60)}^({self._print(exp)})"

    def _print_Mul(self, expr) -> str:
        return super()._print_Mul(expr).replace("*", "·")

    def _print_Float(self, expr) -> str:
        return f"{float(expr):.10g}"


_SCRIPT_CHARS = set(_SUPERSCRIPTS.values()) | set(_SUBSCRIPTS.values())


def _letter(ch: str) -> bool:
    return ch.isalpha() and ch not in _SCRIPT_CHARS


def _name_char(ch: str) -> bool:
    """A character that would run into a name written next to it (a letter, a digit, _)."""
    return bool(ch) and (_letter(ch) or ch in "0123456789_")


def _juxtaposed(left: str, right: str) -> bool:
    """Whether two factors of a product are written side by side (3x², 2(x − 3), xy) rather
    than with a dot (2·1, x·exp(x)): only where no name or number could run into the next."""
    if not left or not right:
        return False
    opens = right[0] in "(√" or (_letter(right[0]) and not _name_char(right[1:2]))
    ends = left[-1] in ")0123456789" or left[-1] in _SCRIPT_CHARS
    # A one-letter name (x, not xy or the constant e) takes the next factor without a dot.
    single = _letter(left[-1]) and not (left[-2:-1] and _letter(left[-2])) and left[-1] not in "eπ"
    return opens and (ends or single)


class UnicodeTextPrinter(TextPrinter):
    """One line of textbook maths in Unicode for a terminal: 3x², 2(x - 3), √x, 2·1², ∂²f/∂x².

    Examples:
        >>> x, y = sp.symbols("x y")
        >>> p = UnicodeTextPrinter()
        >>> p.doprint(3 * x**2 * y), p.doprint(sp.sqrt(x * y)), p.doprint(x ** sp.Rational(-3, 2))
        ('3yx²', '√(xy)', 'x^(-3/2)')
        >>> p.doprint(sp.Mul(2, sp.UnevaluatedExpr(1), evaluate=False)), p.doprint(sp.Abs(x * y))
        ('2·1', '|xy|')
    """

    def _print_Mul(self, expr: sp.Mul) -> str:
        # Factors print with no "*" of their own (products below are done, powers are raised),
        # so each "*" of SymPy's line joins two factors of this product.
        pieces = super()._print_Mul(expr).split("*")
        if len(pieces) > 1:  # 0.5·(1/√1.5)·exp(-0.5): a reciprocal among factors is bracketed
            pieces = [f"({p})" if p.startswith("1/") else p for p in pieces]
        out = pieces[0]
        for before, piece in zip(pieces, pieces[1:], strict=False):
            # √x·y: a root's sign covers what follows it (√xy reads as √(xy))
            joined = _juxtaposed(out, piece) and not before.startswith("√")
            out += piece if joined else "·" + piece
        return out

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base, exponent = expr.args
        if exponent.is_Rational and abs(exponent) == sp.S.Half:
            root = "√" + self.parenthesize(base, PRECEDENCE["Pow"], strict=True)
            return root if exponent.is_positive else f"1/{root}"
        shown = super()._print_Pow(expr, rational=True)
        if "**" not in shown:
            return shown  # 1/x
        lower, upper = shown.split("**")
        raised = superscript(upper[1:-1] if upper.startswith("(") else upper)
        return lower + raised if raised is not None else f"{lower}^{upper}"

    def _print_Abs(self, expr: sp.Abs) -> str:
        return f"|{self._print(expr.args[0])}|"

    def _print_Pi(self, expr) -> str:
        return "π"

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        order = sum(n for _, n in expr.variable_count)
        d = "∂" + (superscript(str(order)) if order > 1 else "")
        below = "".join(
            f"∂{self._print(v)}" + (superscript(str(n)) if n > 1 else "")
            for v, n in expr.variable_count
        )
        body = self._print(expr.expr)
        if isinstance(expr.expr, sp.Add | sp.Mul | sp.Pow):
            body = f"({body})"
        return f"{d}{body}/{below}"


def prose(expr: object) -> str:
    """An expression (or a tuple of them) as it reads in prose and titles, never as code.

    Examples:
        >>> x = sp.Symbol("x")
        >>> prose(x**2), prose(sp.E * x), prose((2,)), prose(sp.sqrt(2) / 2)
        ('x²', 'e·x', '(2)', '√2/2')
    """
    if isinstance(expr, tuple | list):
        expr = sp.Tuple(*expr)
    return ProsePrinter().doprint(sp.sympify(expr))


def text(expr: sp.Basic) -> str:
    """One-line text of ``expr``.

    Examples:
        >>> L, w = sp.symbols("L w")
        >>> text(sp.Derivative(L, w, evaluate=False))
        '∂L/∂w'
    """
    return TextPrinter().doprint(expr)
