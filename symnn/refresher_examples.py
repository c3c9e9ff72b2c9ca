"""The worked examples of the calculus refresher, gradient descent and the perceptron, for the
``derivations/`` gallery: one name per example, each written as ``.tex`` (fragment) and ``.md``.

Examples:
    >>> [name for name, _ in worked_examples()][:3]
    ['gradient_x2_4y2', 'linear_change_x2_4y2', 'directional_x2_3xy_y2']
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from symnn.derive.calculus import derivative, directional_derivative, gradient, linear_approximation
from symnn.derive.taylor import hessian, jacobian_of, taylor
from symnn.descent import gradient_descent
from symnn.files import write_text
from symnn.perceptron import gate, train_perceptron
from symnn.perceptron_view import dot_product
from symnn.refresher_docs import render_refresher

EXAMPLES: list[tuple[str, Callable[[], Any]]] = [
    ("gradient_x2_4y2", lambda: gradient("x**2 + 4*y**2", at="1,1")),
    ("linear_change_x2_4y2", lambda: linear_approximation("x**2 + 4*y**2", "1,1", "0.01,0.005")),
    ("directional_x2_3xy_y2", lambda: directional_derivative("x**2 + 3*x*y + y**2", "1,1", "1,1")),
    ("tangent_x2_at_3", lambda: linear_approximation("x**2", "3", "0.01")),
    ("slope_x3_2x_at_2", lambda: derivative("x**3 + 2*x", at="2")),
    ("tangent_x3_2x_at_2", lambda: linear_approximation("x**3 + 2*x", "2", "0.01")),
    ("jacobian_x2_y_2x_3y", lambda: jacobian_of(["x**2 + y", "2*x + 3*y"])),
    ("hessian_x2_3xy_y2", lambda: hessian("x**2 + 3*x*y + y**2", at="1,1")),
    ("taylor_exp_sin", lambda: taylor("exp(x)*sin(y)", at="0,0", order=3)),
    (
        "descent_bowl",
        lambda: gradient_descent("(x - 3)**2 + 2*(y + 1)**2", "0,0", "0.1", 2, exact=True),
    ),
    (
        "descent_bowl_momentum",
        lambda: gradient_descent("(x - 3)**2 + 2*(y + 1)**2", "0,0", "0.1", 5, "0.9", exact=True),
    ),
    ("dot_product_angle", lambda: dot_product("1,2", "3,-1", bias="-1")),
    ("perceptron_and", lambda: train_perceptron(*gate("and"))),
    ("perceptron_or", lambda: train_perceptron(*gate("or"))),
    ("perceptron_nand", lambda: train_perceptron(*gate("nand"))),
    ("perceptron_xor", lambda: train_perceptron(*gate("xor"), max_epochs=10)),
]


def worked_examples() -> list[tuple[str, Any]]:
    """Every worked example, computed: (name, derivation or run)."""
    return [(name, build()) for name, build in EXAMPLES]


def write_worked_examples(folder: str | Path) -> list[Path]:
    """Write each example as ``NAME.tex`` and ``NAME.md`` into ``folder``; returns the paths."""
    folder = Path(folder)
    written = []
    for name, item in worked_examples():
        for fmt in ("tex", "md"):
            path = folder / f"{name}.{fmt}"
            write_text(path, render_refresher(item, fmt))
            written.append(path)
    return written
