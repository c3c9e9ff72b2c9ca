"""Activation derivatives derived from their definitions, step by step, as a lecture does it.

σ′(z) = σ(z)(1 − σ(z)) from σ(z) = 1/(1 + e^{−z}) by the chain rule, and tanh′(z) = 1 − tanh²(z)
from tanh(z) = (e^z − e^{−z})/(e^z + e^{−z}) by the quotient rule, each ending in the named form
the backward pass uses. Every right-hand side stands for an expression in z (``meaning``), so
tests check each step numerically against the derivative; the layout is a ``Section`` of
``Step``s like any other derivation. The small printing classes keep the order and the shape a
hand derivation writes (SymPy would fold −(1 + e^{−z})^{−2} into a fraction).

Examples:
    >>> [s.rule for s in activation_proof("sigmoid").steps][:3]
    ['definition', 'rewrite_power', 'chain_rule']
    >>> activation_proof("relu") is None
    True
"""

from __future__ import annotations

import sympy as sp

from symnn.core.steps import Section, Step

Z = sp.Symbol("z", real=True)


class Written(sp.Symbol):
    """A name the document prints as given (σ(z), σ′(z), tanh′(z)); its value is ``meaning``."""

    meaning: sp.Expr

    def __new__(cls, latex: str, meaning: sp.Expr) -> Written:
        obj = super().__new__(cls, latex)
        obj.meaning = meaning
        return obj

    def _latex(self, printer) -> str:
        return self.name


class Shown(sp.Function):
    """A form kept as written for the page; ``doit`` gives the expression it stands for.

    ``display_only`` marks it for the worked numbers (``symnn.engine.values``), which evaluate
    it as what it stands for.
    """

    display_only = True


def _paren(printer, expr: sp.Basic) -> str:
    text = printer._print(expr)
    return rf"\left({text}\right)" if isinstance(expr, sp.Add | Neg | Diff | Plus) else text


class Ddz(Shown):
    """d/dz (…): an ordinary derivative, left unevaluated for the page."""

    nargs = 1

    def _latex(self, printer) -> str:
        return rf"\frac{{d}}{{dz}} \left({printer._print(self.args[0])}\right)"

    def doit(self, **hints) -> sp.Expr:
        return sp.diff(self.args[0].doit(**hints), Z)


class Frac(Shown):
    """top/bottom, printed as a fraction."""

    nargs = 2

    def _latex(self, printer) -> str:
        top, bottom = (printer._print(a) for a in self.args)
        return rf"\frac{{{top}}}{{{bottom}}}"

    def doit(self, **hints) -> sp.Expr:
        top, bottom = (a.doit(**hints) for a in self.args)
        return top / bottom

    def _sympystr(self, printer) -> str:
        top, bottom = (printer.parenthesize(a, 50) for a in self.args)
        return f"{top}/{bottom}"

    def _eval_evalf(self, prec):
        return self.doit().evalf(prec)


class Power(Shown):
    """base^exponent, printed as a power (not turned into a fraction)."""

    nargs = 2

    def _latex(self, printer) -> str:
        base, exponent = self.args
        text = printer._print(base)
        if not isinstance(base, sp.Symbol):
            text = rf"\left({text}\right)"
        return rf"{text}^{{{printer._print(exponent)}}}"

    def doit(self, **hints) -> sp.Expr:
        base, exponent = (a.doit(**hints) for a in self.args)
        return base**exponent


class Prod(Shown):
    """A product in the order written (a sum or a negative factor in parentheses)."""

    def _latex(self, printer) -> str:
        first, *rest = self.args
        text = printer._print(first) if isinstance(first, Neg) else _paren(printer, first)
        return r" \cdot ".join([text, *(_paren(printer, a) for a in rest)])

    def doit(self, **hints) -> sp.Expr:
        return sp.Mul(*(a.doit(**hints) for a in self.args))


class Neg(Shown):
    """−x, printed with its sign in front."""

    nargs = 1

    def _latex(self, printer) -> str:
        return f"-{_paren(printer, self.args[0])}"

    def doit(self, **hints) -> sp.Expr:
        return -self.args[0].doit(**hints)


class Diff(Shown):
    """a − b, in this order."""

    nargs = 2

    def _latex(self, printer) -> str:
        a, b = self.args
        return f"{printer._print(a)} - {_paren(printer, b)}"

    def doit(self, **hints) -> sp.Expr:
        a, b = (x.doit(**hints) for x in self.args)
        return a - b


class Plus(Shown):
    """a + b, in this order."""

    nargs = 2

    def _latex(self, printer) -> str:
        return " + ".join(printer._print(a) for a in self.args)

    def doit(self, **hints) -> sp.Expr:
        return sp.Add(*(a.doit(**hints) for a in self.args))


def _sigmoid() -> Section:
    e = sp.exp(-Z)
    d = Plus(sp.S.One, e)  # 1 + e^{−z}
    sigma = Written(r"\sigma(z)", 1 / (1 + sp.exp(-Z)))
    prime = Written(r"\sigma'(z)", sp.diff(sigma.meaning, Z))
    one_over = Frac(sp.S.One, d)
    steps = [
        Step(sigma, one_over, "definition", "the logistic sigmoid"),
        Step(prime, Ddz(Power(d, -1)), "rewrite_power"),
        Step(prime, Prod(Neg(Power(d, -2)), Ddz(d)), "chain_rule", "power rule outside"),
        Step(prime, Prod(Neg(Power(d, -2)), Neg(e)), "elementary_derivative"),
        Step(prime, Frac(e, Power(d, 2)), "signs_cancel"),
        Step(prime, Prod(one_over, Frac(e, d)), "split_fraction"),
        Step(prime, Prod(one_over, Diff(sp.S.One, one_over)), "add_and_subtract_one"),
        Step(prime, Prod(sigma, Diff(sp.S.One, sigma)), "substitution"),
    ]
    return Section(prime, tuple(steps))


def _tanh() -> Section:
    up, down = sp.exp(Z), sp.exp(-Z)
    u, v = Diff(up, down), Plus(up, down)
    t = Written(r"\tanh(z)", sp.tanh(Z))
    t2 = Written(r"\tanh^{2}(z)", sp.tanh(Z) ** 2)
    prime = Written(r"\tanh'(z)", sp.diff(sp.tanh(Z), Z))
    quotient = Frac(Diff(Prod(v, v), Prod(u, u)), Power(v, 2))
    steps = [
        Step(t, Frac(u, v), "definition", "the hyperbolic tangent"),
        Step(prime, quotient, "quotient_rule"),
        Step(prime, Diff(sp.S.One, Frac(Power(u, 2), Power(v, 2))), "split_fraction"),
        Step(prime, Diff(sp.S.One, t2), "substitution"),
    ]
    return Section(prime, tuple(steps))


PROOFS = {"sigmoid": _sigmoid, "tanh": _tanh}


def activation_proof(name: str) -> Section | None:
    """The derivation of an activation's derivative from its definition (None: none recorded)."""
    build = PROOFS.get(name)
    return None if build is None else build()


def meaning(expr: sp.Expr) -> sp.Expr:
    """A step's side as a plain expression in z (names and d/dz resolved)."""
    names = {w: w.meaning for w in expr.atoms(Written)}
    return expr.xreplace(names).doit()


__all__ = ["PROOFS", "Z", "Frac", "activation_proof", "meaning"]
