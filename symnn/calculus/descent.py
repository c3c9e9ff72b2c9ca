"""Gradient descent on a user expression, step by step: gradient, update, new point, new value.

The update is x ← x − η ∇f(x). With momentum μ (classical, "heavy ball") it is
v ← μ v − η ∇f(x), then x ← x + v, starting from v = 0; μ = 0 is plain gradient descent.
Arithmetic is exact (rationals; decimals as written, so 0.1 is 1/10) with ``exact=True``, else
floats. A run that blows up stops and says so instead of printing infinities.

Examples:
    >>> run = gradient_descent("(x - 3)**2 + 2*(y + 1)**2", start="0,0", learning_rate=0.1,
    ...                        steps=2, exact=True)
    >>> [(it.point, it.value) for it in run.iterates]
    [((0, 0), 11), ((3/5, -2/5), 162/25), ((27/25, -16/25), 2466/625)]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from symnn.calculus.calculus import kept_partial
from symnn.calculus.evaluation import (
    CalculusDerivation,
    Point,
    Variables,
    number_row,
    setup,
    show,
    symbol_names,
    value,
)
from symnn.calculus.worked import ordinary, stages, substitute
from symnn.core import display
from symnn.core.errors import SymnnError
from symnn.core.expressions import as_number, as_point
from symnn.core.functions import to_elementary
from symnn.core.steps import Derivation, Section, Step

MAX_STEPS = 10_000
BLOW_UP = 1e150
MAX_EXACT_DIGITS = 1_000  # digits of a numerator or denominator in an exact run


@dataclass(frozen=True)
class Iterate:
    """Point k of the run: where it is, f there, the gradient there, and the move to point k + 1."""

    k: int
    point: tuple
    value: Any
    gradient: tuple
    update: tuple | None = None
    velocity: tuple | None = None


@dataclass(frozen=True)
class Descent:
    """A finished run: the function, its settings and every iterate (point 0 is the start)."""

    function: sp.Expr
    variables: tuple[sp.Symbol, ...]
    gradient: tuple[sp.Expr, ...]
    learning_rate: Any
    momentum: Any
    exact: bool
    iterates: tuple[Iterate, ...]
    stopped: str = ""
    f_name: str = "f"
    context: dict = field(default_factory=dict, compare=False)

    @property
    def final(self) -> Iterate:
        return self.iterates[-1]

    def __repr__(self) -> str:
        end = self.final
        return (
            f"<Descent on {self.f_name} = {sp.sstr(self.function)}: "
            f"{len(self.iterates) - 1} steps, "
            f"η = {self.learning_rate}, ends at {sp.sstr(end.point)} with "
            f"{self.f_name} = {sp.sstr(end.value)}>"
        )

    def table(self) -> list[dict[str, Any]]:
        """One row per step: k, the gradient used, the update, the new point and f there."""
        rows = [
            {"k": 0, "gradient": None, "update": None, "point": it.point, "value": it.value}
            for it in self.iterates[:1]
        ]
        for before, after in zip(self.iterates, self.iterates[1:], strict=False):
            rows.append(
                {
                    "k": after.k,
                    "gradient": before.gradient,
                    "update": before.update,
                    "point": after.point,
                    "value": after.value,
                }
            )
        return rows

    def text(self) -> str:
        """The iterates as a plain-text table."""
        names = ", ".join(map(str, self.variables))
        point = names if len(self.variables) == 1 else f"({names})"
        slope = slope_name(self.f_name, self.variables)
        head = ["k", f"{slope} at the previous point", "update", point, self.f_name]
        body = [
            [str(row["k"]), *(_vector_text(row[key]) for key in ("gradient", "update", "point"))]
            + [_number_text(row["value"])]
            for row in self.table()
        ]
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        lines = [self.context.get("title", "Gradient descent"), self.context["rule"], ""]
        for cells in [head, *body]:
            lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        if self.stopped:
            lines += ["", self.stopped]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str | None:
        return display.show(self, "markdown")

    def derivation(self, detail: str = "auto") -> Derivation:
        """The run as recorded steps: the gradient, then per step its value, update and f (a
        long run: its first and last steps, see ``detailed_steps``)."""
        return _derivation(self, detail)


def _number_text(number: Any) -> str:
    if number is None:
        return ""
    if isinstance(number, float):
        return f"{number:.10g}"
    try:
        if number.is_Integer or (number.is_Rational and show(number) != number):
            return f"{float(number):.15g}" if not number.is_Integer else str(number)
        return str(number) if number.is_Rational else f"{float(number):.10g}"
    except OverflowError:  # beyond float range: printed exactly
        return str(number)


def _vector_text(vector: tuple | None) -> str:
    """A point or gradient as (1, 2); of one variable a plain number (0.2, not (0.2))."""
    if vector is not None and len(vector) == 1:
        return _number_text(vector[0])
    return "" if vector is None else "(" + ", ".join(_number_text(v) for v in vector) + ")"


def _exact_values(exprs: Sequence[sp.Expr], symbols, point, what: str) -> tuple:
    values = tuple(value(e, dict(zip(symbols, point, strict=True))) for e in exprs)
    for v in values:
        if not v.is_Rational:
            raise SymnnError(
                f"exact arithmetic: {what} at {tuple(point)} is {v}, not a rational number; "
                "use floats (leave out --exact / exact=False)"
            )
    return values


def _digits(point: tuple) -> int:
    """The most decimal digits of a numerator or denominator among exact coordinates."""
    bits = max(max(int(c.p).bit_length(), int(c.q).bit_length()) for c in point)
    return int(bits * math.log10(2)) + 1


def gradient_descent(
    f: str | sp.Expr,
    start: Point,
    learning_rate: Any = 0.1,
    steps: int = 10,
    momentum: Any = 0,
    variables: Variables = None,
    exact: bool = False,
    f_name: str = "f",
    *,
    lr: Any = None,
) -> Descent:
    """Run ``steps`` steps of gradient descent (optionally with momentum) from ``start``.

    ``lr`` is accepted for ``learning_rate``, as ``symnn.train`` calls it.

    Examples:
        >>> run = gradient_descent("x**2", start=1, learning_rate=0.25, steps=3)
        >>> [it.point[0] for it in run.iterates]
        [1.0, 0.5, 0.25, 0.125]
    """
    if lr is not None:
        learning_rate = lr
    if not isinstance(steps, int) or isinstance(steps, bool) or not 0 <= steps <= MAX_STEPS:
        raise SymnnError(f"steps: expected a whole number from 0 to {MAX_STEPS}, found {steps!r}")
    expr, symbols = setup(f, variables)
    eta, mu = as_number(learning_rate), as_number(momentum)
    if not eta.is_positive:
        raise SymnnError(f"learning rate: expected a positive number, found {learning_rate!r}")
    if not (mu.is_nonnegative and mu < 1):
        raise SymnnError(f"momentum: expected a number in [0, 1), found {momentum!r}")
    point = as_point(start, len(symbols), "start point")
    grad = tuple(sp.diff(expr, x) for x in symbols)
    if exact:
        evaluate_f = lambda p: _exact_values([expr], symbols, p, f_name)[0]  # noqa: E731
        evaluate_g = lambda p: _exact_values(grad, symbols, p, "the gradient")  # noqa: E731
    else:
        # lambdify prints our own SymPy tree to Python source; no user text is executed.
        # dummify: a variable called "math" or "exp" must not shadow the module's names
        f_num = sp.lambdify(symbols, to_elementary(expr), modules="math", dummify=True)
        g_num = sp.lambdify(symbols, [to_elementary(g) for g in grad], modules="math", dummify=True)
        evaluate_f = lambda p: float(f_num(*p))  # noqa: E731
        evaluate_g = lambda p: tuple(float(v) for v in g_num(*p))  # noqa: E731
        eta, mu = float(eta), float(mu)
        point = tuple(float(v) for v in point)
    iterates, stopped = [], ""
    velocity = tuple(0 * c for c in point)
    for k in range(steps + 1):
        try:
            fx, gx = evaluate_f(point), evaluate_g(point)
        except SymnnError:
            raise
        except (OverflowError, ValueError, ZeroDivisionError, TypeError) as error:
            # TypeError: a complex value (x**x at negative x) has no float
            stopped = f"stopped at step {k}: f or its gradient cannot be evaluated ({error})"
            break
        if not exact and not all(math.isfinite(v) and abs(v) < BLOW_UP for v in (fx, *gx)):
            stopped = f"stopped at step {k}: the run diverged (try a smaller learning rate)"
            iterates.append(Iterate(k, point, fx, gx))
            break
        if k == steps:
            iterates.append(Iterate(k, point, fx, gx))
            break
        velocity = tuple(mu * v - eta * g for v, g in zip(velocity, gx, strict=True))
        moved = tuple(c + v for c, v in zip(point, velocity, strict=True))
        if exact and _digits(moved) > MAX_EXACT_DIGITS:
            stopped = (
                f"stopped at step {k}: the next point's exact fractions would have about "
                f"{_digits(moved):,} digits (over {MAX_EXACT_DIGITS:,}); use floats (leave out "
                "--exact / exact=False)"
            )
            iterates.append(Iterate(k, point, fx, gx))
            break
        iterates.append(Iterate(k, point, fx, gx, velocity, velocity if mu else None))
        point = moved
    context = {
        "title": f"Gradient descent on {f_name}",
        "rule": _rule_text(
            _number_text(eta), _number_text(mu) if mu else "", slope_name(f_name, symbols)
        ),
        "symbol_names": symbol_names({sp.Symbol(f"{f_name}′"): f"{f_name}'"}),
    }
    return Descent(expr, symbols, grad, eta, mu, exact, tuple(iterates), stopped, f_name, context)


def _rule_text(eta: Any, mu: Any, slope: str = "∇f") -> str:
    """The update in words; ``slope`` is ∇f, or f′ for one variable (its gradient is f′)."""
    if mu:
        return f"update: v ← {mu}·v − {eta}·{slope}(x), then x ← x + v (v starts at 0)"
    return f"update: x ← x − {eta}·{slope}(x)"


def slope_name(f_name: str, symbols: Sequence[sp.Symbol]) -> str:
    """∇f for several variables, f′ for one: the gradient of a function of one variable is its
    derivative, a number, not a 1-vector."""
    return f"{f_name}′" if len(symbols) == 1 else "∇f"


def _shown(number: Any) -> sp.Expr:
    if isinstance(number, float):
        return sp.Float(float(f"{number:.10g}"), 15)
    return show(number)


DETAIL_HEAD, DETAIL_TAIL = 3, 2  # steps worked in full at each end of a long run
LONG_RUN = 8  # steps past which a run is summarised (the table still lists every step)


def detailed_steps(steps: int, detail: str = "auto") -> list[int]:
    """The steps worked out in full: all of a short run (or with ``detail="all"``), else the
    first ``DETAIL_HEAD`` and the last ``DETAIL_TAIL``.

    Examples:
        >>> detailed_steps(5), detailed_steps(20)
        ([1, 2, 3, 4, 5], [1, 2, 3, 19, 20])
    """
    if detail not in ("auto", "all"):
        raise SymnnError(f"detail {detail!r}; known: auto (first and last steps), all")
    if detail == "all" or steps <= LONG_RUN:
        return list(range(1, steps + 1))
    return [*range(1, DETAIL_HEAD + 1), *range(steps - DETAIL_TAIL + 1, steps + 1)]


SHORT_PLACES = 6  # decimals of a coordinate still worked in stages (4.74126, not 3.0008141617…)


def _short_decimal(value: sp.Basic) -> bool:
    """Whether ``value`` is a decimal that ends within ``SHORT_PLACES`` places."""
    if not value.is_Rational:
        return False
    q, places = int(value.q), 0
    while q % 10 == 0 or q % 2 == 0 or q % 5 == 0:
        q, places = (q // 10, places + 1) if q % 10 == 0 else (q * (5 if q % 2 == 0 else 2), places)
    return q == 1 and places <= SHORT_PLACES


def _worked_value(lhs: sp.Basic, expr: sp.Expr, at: dict, result: Any, exact: bool) -> list:
    """``lhs`` = expr at the point, the arithmetic in stages for an exact run (a float run shows
    the substitution, then its own computed value, so no digit is recomputed differently)."""
    shown = stages(expr, at)
    # Stages only while the point's coordinates are short fractions (0.6, −0.4): at step 24 of a
    # run each is a cut 12-digit decimal, and three of them squared run off the page
    short = all(_short_decimal(sp.sympify(v)) for v in at.values())
    if exact and not short:  # even the substitution would: the value alone
        return [Step(lhs, _shown(result), "evaluate_at_point")]
    middle = shown[1:-1] if exact else []
    return [
        Step(lhs, shown[0], "substitute_point"),
        *(Step(lhs, stage, "evaluate_at_point") for stage in middle),
        Step(lhs, _shown(result), "evaluate_at_point"),
    ]


def _derivation(run: Descent, detail: str = "auto") -> Derivation:
    symbols, f_symbol = run.variables, sp.Symbol(run.f_name)
    one = len(symbols) == 1  # f′ and numbers, not ∇f and 1-vectors

    def vec(values) -> sp.Basic:
        return values[0] if one else sp.Tuple(*values)

    kept = [kept_partial(run.function, x) for x in symbols]
    grad_steps = [
        Step(ordinary(sp.Derivative(f_symbol, x, evaluate=False)), g, "derivative")
        if one
        else Step(sp.Derivative(f_symbol, x, evaluate=False), g, "partial_derivative")
        for x, g in zip(symbols, kept, strict=True)
    ]
    slope = sp.Symbol(slope_name(run.f_name, symbols))
    sections = [Section(slope, tuple(grad_steps))]
    eta, mu = _shown(run.learning_rate), _shown(run.momentum)
    rule = "momentum_update" if run.momentum else "descent_update"
    rule = f"{rule}_1d" if one else rule
    numbers = []
    worked = set(detailed_steps(len(run.iterates) - 1, detail))
    for before, after in zip(run.iterates, run.iterates[1:], strict=False):
        k = after.k
        numbers.append(number_row(f"f after step {k}", sp.sympify(after.value)))
        if k not in worked:
            continue
        names = [sp.Symbol(f"{x}_{k}") for x in symbols]
        new = vec(names)
        at = dict(zip(symbols, before.point, strict=True))
        if not run.exact:
            at = {x: _shown(v) for x, v in at.items()}
        g_at = sp.Subs(slope, symbols, tuple(map(_shown, before.point)))
        steps = [
            Step(g_at, vec([substitute(g, at) for g in kept]), "substitute_point"),
            Step(g_at, vec(list(map(_shown, before.gradient))), "evaluate_at_point"),
        ]
        if run.momentum:
            v = sp.Symbol(f"v_{k}")
            steps.append(
                Step(v, vec(list(map(_shown, before.velocity))), rule, run.context["rule"])
            )
        moves = [
            sp.Add(
                _shown(p),
                sp.Mul(-1, eta, _shown(g), evaluate=False) if not run.momentum else _shown(d),
                evaluate=False,
            )
            for p, g, d in zip(before.point, before.gradient, before.update, strict=True)
        ]
        steps.append(Step(new, vec(moves), rule, run.context["rule"]))
        steps.append(Step(new, vec(list(map(_shown, after.point))), "evaluate_at_point"))
        moved = dict(zip(symbols, after.point, strict=True))
        if not run.exact:
            moved = {x: _shown(v) for x, v in moved.items()}
        # f(0.6, −0.4) when the coordinates are short, else f(x₁₉, y₁₉): a long fraction twice
        # on one line leaves no room for the arithmetic.
        short = all(len(_number_text(c)) <= 10 for c in after.point)
        f_new = sp.Function(run.f_name)(*(map(_shown, after.point) if short else names))
        steps += _worked_value(f_new, run.function, moved, after.value, run.exact)
        sections.append(Section(new, tuple(steps)))
    left_out = sorted(set(range(1, len(run.iterates))) - worked)
    summary = (
        f"Steps {left_out[0]} to {left_out[-1]} are in the table only; the first "
        f"{DETAIL_HEAD} and the last {DETAIL_TAIL} are worked in full."
        if left_out
        else ""
    )
    final = run.final
    results = (
        Step(
            vec([sp.Symbol(f"{x}_{final.k}") for x in symbols]),
            vec(list(map(_shown, final.point))),
            "result",
        ),
        Step(sp.Function(run.f_name)(*map(_shown, final.point)), _shown(final.value), "result"),
    )
    context = {
        **run.context,
        "kind": "descent",
        "function": run.function,
        "variables": symbols,
        "f_name": run.f_name,
        "learning_rate": eta,
        "momentum": mu,
        "rows": run.table(),
        "stopped": run.stopped,
        "numbers": numbers,
        "values": {"point": final.point, "value": final.value},
        "summary": summary,
    }
    return CalculusDerivation(run.context["title"], tuple(sections), results, context)
