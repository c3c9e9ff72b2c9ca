"""LaTeX for expressions and steps: ∂ fractions, symnn's notation, factors in recorded order."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import sympy as sp
from sympy.printing.latex import LatexPrinter

from symnn.core import notation as nt
from symnn.core.errors import SymnnError

PARTIAL_STYLES = ("frac", "slash")


# Expressions SymPy compares up to a renaming of their bound variables.
_RENAMING = (sp.Subs, sp.Lambda)


class SymnnLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with ∂ notation and notation-driven symbol names.

    ``order="none"`` keeps factors and terms in the order the engine recorded them, so a chain rule
    prints as ∂L/∂z · ∂z/∂w and not in SymPy's canonical order. ``namer`` (a notation's
    ``namer(shape)``) names symnn's symbols; ``symbol_names`` wins over it. Weighted sums print in
    the textbook order w x + … + b, whatever order SymPy stored them in.
    """

    def __init__(
        self,
        symbol_names: Mapping[sp.Symbol, str] | None = None,
        partial: str = "frac",
        namer: Callable[[sp.Symbol], str | None] | None = None,
    ):
        if partial not in PARTIAL_STYLES:
            raise ValueError(
                f"unknown partial style {partial!r}; known: {', '.join(PARTIAL_STYLES)}"
            )
        super().__init__({"symbol_names": dict(symbol_names or {}), "order": "none"})
        self._partial_style = partial
        self._namer = namer
        self._printed: dict[tuple[type, object], str] = {}

    def doprint(self, expr) -> str:
        """``expr`` as LaTeX, remembered: a document prints each expression several times (to
        measure it for the line breaker, then to lay it out) and the printer's settings are
        fixed. Keyed by type and value, so 1, 1.0 and True stay apart; structurally equal SymPy
        expressions print alike (their argument order is part of equality), except those with
        bound variables, which SymPy compares up to renaming (Subs(∂²f/∂y∂x, …) equals
        Subs(∂²f/∂x∂y, …)): those are printed every time."""
        if isinstance(expr, sp.Basic) and expr.has(*_RENAMING):
            return super().doprint(expr)
        try:
            key = (type(expr), expr)
            return self._printed[key]
        except KeyError:
            text = self._printed[key] = super().doprint(expr)
            return text
        except TypeError:  # unhashable: print it every time
            return super().doprint(expr)

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        if self._namer is not None and expr not in self._settings["symbol_names"]:
            name = self._namer(expr)
            if name is not None:
                return name
        return super()._print_Symbol(expr, style=style)

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        # MatAdd prints through here too; rebuilding it as a scalar Add would reorder its terms.
        args = textbook_order(expr)
        if args != expr.args and not isinstance(expr, sp.MatrixExpr):
            expr = sp.Add(*args, evaluate=False)
        return super()._print_Add(expr, order=order)

    def _print_Mul(self, expr: sp.Mul) -> str:
        head, *rest = expr.args
        if head.is_Rational and head.p == 1 and head.q > 1 and rest:
            # ½ (y − ŷ)², as textbooks write a scaled loss, not (y − ŷ)² / 2.
            body = rest[0] if len(rest) == 1 else sp.Mul(*rest, evaluate=False)
            text = self._print(body)
            if isinstance(body, sp.Add):
                text = rf"\left({text}\right)"
            return rf"\frac{{1}}{{{head.q}}} {text}"
        args = textbook_order(expr)
        if args != expr.args:
            expr = sp.Mul(*args, evaluate=False)
        return super()._print_Mul(expr)

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        f = self._print(expr.expr)
        variables = "".join(
            rf"\partial {self._print(v)}" + (f"^{{{n}}}" if n > 1 else "")
            for v, n in expr.variable_count
        )
        order = sum(n for _, n in expr.variable_count)
        d = rf"\partial^{{{order}}}" if order > 1 else r"\partial"
        if isinstance(expr.expr, sp.Add | sp.Mul | sp.Pow):  # ∂/∂x (x² + y), not ∂x² + y/∂x
            if self._partial_style == "slash":
                return rf"{d} / {variables} \left({f}\right)"
            return rf"\frac{{{d}}}{{{variables}}} \left({f}\right)"
        if self._partial_style == "slash":
            return rf"{d} {f} / {variables}"
        return rf"\frac{{{d} {f}}}{{{variables}}}"

    # Matrix level: W^{(l)}, δ^{(l)}, X from the notation; ⊙ for the Hadamard product; 𝟏 and I.
    def _print_tuple(self, expr) -> str:
        if len(expr) == 1:  # a one-element point is (2), not SymPy's (2,)
            return rf"\left( {self._print(expr[0])}\right)"
        return super()._print_tuple(expr)

    def _print_Tuple(self, expr) -> str:
        return self._print_tuple(tuple(expr.args))

    def _print_MatrixSymbol(self, expr: sp.MatrixSymbol) -> str:
        if expr not in self._settings["symbol_names"]:
            from symnn.core.notation import matrix_latex

            named = matrix_latex(expr)
            if named is not None:
                return named
        return super()._print_MatrixSymbol(expr)

    def _print_HadamardProduct(self, expr: sp.HadamardProduct) -> str:
        return super()._print_HadamardProduct(expr).replace(r" \circ ", r" \odot ")

    def _print_OneMatrix(self, expr: sp.OneMatrix) -> str:
        return r"\mathbf{1}"

    def _print_Identity(self, expr: sp.Identity) -> str:
        return "I"

    def _print_Transpose(self, expr: sp.Transpose) -> str:
        if isinstance(expr.arg, sp.OneMatrix):
            return r"\mathbf{1}^{T}"
        return super()._print_Transpose(expr)

    def _print_KroneckerDelta(self, expr: sp.KroneckerDelta, exp=None) -> str:
        # Iverson's bracket: δ_{ij} would read as the δ of backprop.
        i, j = (self._print(arg) for arg in expr.args)
        text = rf"\left[{i} = {j}\right]"
        return text if exp is None else rf"{text}^{{{exp}}}"

    def _print_MatMul(self, expr: sp.MatMul) -> str:
        # A scalar factor prints as in a product (1/N Δᵀ A), not parenthesised like a matrix.
        scalars = [arg for arg in expr.args if not getattr(arg, "is_Matrix", False)]
        if not scalars:
            return super()._print_MatMul(expr)
        # Rebuilt unevaluated: evaluating would merge 𝟏 𝟏ᵀ into one 𝟏 and re-sort ⊙'s factors.
        rest = [arg for arg in expr.args if arg not in scalars]
        matrices = rest[0] if len(rest) == 1 else sp.MatMul(*rest, evaluate=False)
        coefficient = sp.Mul(*scalars)
        if coefficient == 1:  # a rule's 2/N with N = 2: "1 A" states nothing
            body = self._print(matrices)
            return rf"\left({body}\right)" if isinstance(matrices, sp.MatAdd) else body
        if coefficient == -1:
            body = self._print(matrices)
            return rf"- \left({body}\right)" if isinstance(matrices, sp.MatAdd) else f"- {body}"
        text = self._print(coefficient)
        if isinstance(coefficient, sp.Add):
            text = rf"\left({text}\right)"
        body = self._print(matrices)
        if isinstance(matrices, sp.MatAdd):  # 2 (a − y), never 2 a − y
            body = rf"\left({body}\right)"
        return f"{text} {body}"

    def _print_MatAdd(self, expr: sp.MatAdd) -> str:
        # SymPy negates a negative term to print "− term", and negating re-evaluates the product
        # (𝟏 𝟏ᵀ merges into one 𝟏, ⊙'s factors are re-sorted): the sign is taken off unevaluated.
        text = ""
        for i, term in enumerate(expr.args):
            sign, body = "+", term
            if isinstance(term, sp.MatMul) and term.args[0].is_Number and term.args[0] < 0:
                coefficient, *rest = term.args
                sign = "-"
                if coefficient != -1:
                    rest = [-coefficient, *rest]
                body = rest[0] if len(rest) == 1 else sp.MatMul(*rest, evaluate=False)
            part = self._print(body)
            if isinstance(body, sp.MatAdd):
                part = rf"\left({part}\right)"
            if i == 0:
                text = part if sign == "+" else f"- {part}"
            else:
                text += f" {sign} {part}"
        return text

    def _print_Float(self, expr: sp.Float) -> str:
        # Spec numbers print as written (0.15, not 0.150000000000000); tiny ones as m·10^e.
        text = repr(float(expr))
        if "e" in text:
            mantissa, exponent = text.split("e")
            return rf"{mantissa} \cdot 10^{{{int(exponent)}}}"
        return text[:-2] if text.endswith(".0") else text


def _kind(expr: sp.Basic) -> str | None:
    if not isinstance(expr, sp.Symbol):
        return None
    try:
        return nt.parse(expr)[0]
    except SymnnError:
        return None


def _weight_of(term: sp.Basic) -> sp.Symbol | None:
    if isinstance(term, sp.Mul):
        weights = [f for f in term.args if _kind(f) == "w"]
        return weights[0] if len(weights) == 1 else None
    return None


def _textbook_terms(terms: tuple[sp.Basic, ...]) -> list[sp.Basic] | None:
    """A weighted sum's terms as textbooks write them: by weight index, the bias last."""
    biases = [t for t in terms if _kind(t) == "b"]
    weighted = [t for t in terms if _weight_of(t) is not None]
    if not weighted or len(biases) > 1 or len(biases) + len(weighted) != len(terms):
        return None
    weighted.sort(key=lambda t: nt.parse(_weight_of(t))[1])
    return weighted + biases


def textbook_order(expr: sp.Basic) -> tuple[sp.Basic, ...]:
    """The arguments of a sum or product in the order a textbook writes them: w x + … + b.

    SymPy stores ``b + x w`` in name order; every other expression keeps its order. A product
    that does not commute (a ``MatMul``, or any product with a non-commutative factor) is never
    reordered: (diag(s) − s sᵀ) W and W (diag(s) − s sᵀ) are different matrices.

    Examples:
        >>> from symnn.core import notation as nt
        >>> textbook_order(nt.w(2, 1, 1) * nt.a(1, 1) + nt.b(2, 1))
        (a_1_1*w_2_1_1, b_2_1)
        >>> textbook_order(nt.w(2, 1, 1) * nt.a(1, 1))
        (w_2_1_1, a_1_1)
        >>> A, B, C = (sp.MatrixSymbol(n, 2, 2) for n in "ABC")
        >>> textbook_order(sp.MatMul(B + C, A))
        (B + C, A)
    """
    args = expr.args
    if isinstance(expr, sp.MatrixExpr) or not expr.is_commutative:
        return args
    if isinstance(expr, sp.Add):
        terms = _textbook_terms(args)
        return args if terms is None else tuple(terms)
    if isinstance(expr, sp.Mul) and len(args) == 2 and _kind(args[1]) == "w" != _kind(args[0]):
        return (args[1], args[0])
    if isinstance(expr, sp.Mul) and any(isinstance(a, sp.Add) for a in args):
        # σ(z)(1 − σ(z)), not (1 − σ(z))σ(z): sums go after the other factors.
        return tuple(sorted(args, key=lambda a: isinstance(a, sp.Add)))
    return args


def tex(
    expr: sp.Basic, symbol_names: Mapping[sp.Symbol, str] | None = None, partial: str = "frac"
) -> str:
    """LaTeX of ``expr`` in symnn's notation.

    Examples:
        >>> L, w = sp.symbols("L w")
        >>> tex(sp.Derivative(L, w, evaluate=False))
        '\\\\frac{\\\\partial L}{\\\\partial w}'
    """
    return SymnnLatexPrinter(symbol_names, partial).doprint(expr)
