"""A derivation as JSON for scripts: every section's steps, the results and the worked numbers.

Each expression comes as plain text (the terminal's form) and as LaTeX in the document's
notation; each step names its rule by key and in words. Numbers are floats (non-finite ones as
the strings "inf", "-inf", "nan", so the output is strict JSON).

Examples:
    >>> from symnn import Dense, Network, derive
    >>> data = derivation_json(derive(Network(1, [Dense(1, "sigmoid")]), "W1[1,1]"))
    >>> data["results"][0]["lhs"], data["results"][0]["rhs"]
    ('∂L/∂w_1_1_1', 'δ_1_1*x_1')
"""

from __future__ import annotations

import math
from typing import Any

import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.steps import Derivation, Step
from symnn.engine.conventions import with_convention
from symnn.printing.latex import SymnnLatexPrinter
from symnn.printing.text import text


def _number(value: float, digits: int | None = None) -> float | str:
    if not math.isfinite(value):
        return str(value)
    return value if digits is None else float(f"{value:.{digits}g}")


def _expr(expr: sp.Basic, printer: SymnnLatexPrinter) -> dict[str, str]:
    return {"text": text(expr), "latex": printer.doprint(expr)}


def _step(step: Step, printer: SymnnLatexPrinter) -> dict[str, Any]:
    return {
        "lhs": text(step.lhs),
        "rhs": text(step.rhs),
        "lhs_latex": printer.doprint(step.lhs),
        "rhs_latex": printer.doprint(step.rhs),
        "rule": step.rule,
        "rule_text": step.rule_text,
        "note": step.note,
    }


def derivation_json(
    derivation: Derivation,
    notation: str | None = None,
    numeric: bool = False,
    sample: int = 1,
    matrix: Derivation | None = None,
    digits: int | None = None,
) -> dict[str, Any]:
    """The derivation (and with ``numeric`` its worked numbers at ``sample``, from 1) as data.

    Numbers are at full precision, or rounded to ``digits`` significant digits when given.
    """
    if digits is not None and (not isinstance(digits, int) or not 1 <= digits <= 15):
        raise SymnnError(f"digits: expected a whole number from 1 to 15, found {digits!r}")
    graph = derivation.context.get("graph")
    if notation is None:
        notation = graph.network.notation if graph is not None else "layered"
    derivation = with_convention(derivation, notation)
    namer = nt.NOTATIONS[notation].namer(graph.shape) if graph is not None else None
    printer = SymnnLatexPrinter(namer=namer)
    data: dict[str, Any] = {
        "title": derivation.title,
        "level": derivation.context.get("level", "element"),
        "notation": notation,
        "sections": [
            {
                "subject": _expr(section.subject, printer),
                "steps": [_step(s, printer) for s in section.steps],
            }
            for section in derivation.sections
        ],
        "results": [_step(s, printer) for s in derivation.results],
    }
    if matrix is not None:
        data["matrix"] = derivation_json(matrix)
    if numeric:
        from symnn.engine.values import worked_numbers

        numbers = worked_numbers(derivation, None, sample - 1)

        def line(e) -> dict[str, Any]:
            shown = e.lhs if e.expr is None else e.expr
            return {
                "lhs": _expr(e.lhs, printer),
                "expr": _expr(shown, printer),
                "values": [
                    {"quantity": text(q), "value": _number(v, digits)} for q, v in e.atoms.items()
                ],
                "value": _number(e.value, digits),
            }

        data["numeric"] = {
            "samples": numbers.samples,
            "sample": numbers.sample + 1,
            "learning_rate": _number(numbers.learning_rate, digits),
            "given": [{"quantity": text(s), "value": _number(v, digits)} for s, v in numbers.given],
            "forward": [line(e) for e in numbers.forward],
            "backward": [
                {"subject": _expr(subject, printer), "lines": [line(e) for e in lines]}
                for subject, lines in numbers.backward
            ],
            "gradients": [
                {
                    "parameter": text(theta),
                    "per_sample": [_number(g, digits) for g in per_sample],
                    "mean": _number(mean, digits),
                }
                for theta, per_sample, mean in numbers.gradients
            ],
            "updates": [
                {
                    "parameter": text(u.theta),
                    "old": _number(u.old, digits),
                    "gradient": _number(u.gradient, digits),
                    "new": _number(u.new, digits),
                }
                for u in numbers.updates
            ],
        }
    return data


__all__ = ["derivation_json"]
