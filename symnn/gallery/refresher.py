"""The worked examples of the calculus refresher, gradient descent and the perceptron, for the
``derivations/`` gallery: one name per example, each written as ``.tex`` (fragment) and ``.md``,
registered as three gallery folders (calculus-refresher, gradient-descent, perceptron).

Examples:
    >>> [name for name, _ in worked_examples()][:3]
    ['gradient_x2_4y2', 'linear_change_x2_4y2', 'directional_x2_3xy_y2']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from symnn.calculus.calculus import (
    derivative,
    directional_derivative,
    gradient,
    linear_approximation,
)
from symnn.calculus.code import calculus_code
from symnn.calculus.descent import gradient_descent
from symnn.calculus.taylor import hessian, jacobian_of, taylor
from symnn.gallery.registry import Files, example
from symnn.output.figures.tikz import picture_svg
from symnn.output.refresher import refresher_picture, render_refresher
from symnn.perceptron.run import gate, train_perceptron
from symnn.perceptron.view import dot_product

CALCULUS: list[tuple[str, Callable[[], Any]]] = [
    ("gradient_x2_4y2", lambda: gradient("x**2 + 4*y**2", at="1,1")),
    ("linear_change_x2_4y2", lambda: linear_approximation("x**2 + 4*y**2", "1,1", "0.01,0.005")),
    ("directional_x2_3xy_y2", lambda: directional_derivative("x**2 + 3*x*y + y**2", "1,1", "1,1")),
    ("tangent_x2_at_3", lambda: linear_approximation("x**2", "3", "0.01")),
    ("slope_x3_2x_at_2", lambda: derivative("x**3 + 2*x", at="2")),
    ("tangent_x3_2x_at_2", lambda: linear_approximation("x**3 + 2*x", "2", "0.01")),
    ("jacobian_x2_y_2x_3y", lambda: jacobian_of(["x**2 + y", "2*x + 3*y"], at="1,2")),
    ("hessian_x2_3xy_y2", lambda: hessian("x**2 + 3*x*y + y**2", at="1,1")),
    ("taylor_exp_sin", lambda: taylor("exp(x)*sin(y)", at="0,0", order=3)),
]
BOWL = "(x - 3)**2 + 2*(y + 1)**2"
DESCENT: list[tuple[str, Callable[[], Any]]] = [
    ("descent_bowl", lambda: gradient_descent(BOWL, "0,0", "0.1", 2, exact=True)),
    ("descent_bowl_momentum", lambda: gradient_descent(BOWL, "0,0", "0.1", 5, "0.9", exact=True)),
]
PERCEPTRON: list[tuple[str, Callable[[], Any]]] = [
    ("dot_product_angle", lambda: dot_product("1,2", "3,-1", bias="-1")),
    ("perceptron_and", lambda: train_perceptron(*gate("and"))),
    ("perceptron_or", lambda: train_perceptron(*gate("or"))),
    ("perceptron_nand", lambda: train_perceptron(*gate("nand"))),
    ("perceptron_xor", lambda: train_perceptron(*gate("xor"), max_epochs=10)),
]
# The sources' own tables, column for column (Wikipedia's NAND, Cornell CS472's OR).
SOURCES: list[tuple[str, Callable[[], Any]]] = [
    (
        "perceptron_nand_wikipedia",
        lambda: train_perceptron(
            *gate("nand"), learning_rate="0.1", theta="0.5", fires="gt", bias_column="first"
        ),
    ),
    (
        "perceptron_or_cornell",
        lambda: train_perceptron(
            *gate("or"), learning_rate="0.5", bias_input=-1, bias_column="last"
        ),
    ),
]
EXAMPLES = CALCULUS + DESCENT + PERCEPTRON + SOURCES


def worked_examples() -> list[tuple[str, Any]]:
    """Every worked example, computed: (name, derivation or run)."""
    return [(name, build()) for name, build in EXAMPLES]


def _documents(entries: list[tuple[str, Callable[[], Any]]], **options: Any) -> Files:
    files: Files = {}
    for name, build in entries:
        item = build()
        # A training run carries its moving line (TikZ panels), a descent run its path over the
        # level sets, a derivation at a point its tangent or gradient, the dot-product view w and
        # x with the line w is the normal of, in the LaTeX fragment.
        drawn = refresher_picture(item) is not None
        figures = "inline" if drawn else "none"
        files[f"{name}.tex"] = render_refresher(item, "tex", figures=figures, **options)
        if drawn:  # Markdown points at the same figure as an SVG beside it
            svg = f"{name}-figure.svg"
            files[f"{name}.md"] = render_refresher(
                item, "md", figures="separate", figure_file=svg, **options
            )
            files[svg] = picture_svg(refresher_picture(item))
        else:
            files[f"{name}.md"] = render_refresher(item, "md", **options)
    return files


@example(
    "calculus-refresher",
    "The calculus refresher, with numbers",
    "Gradients and their magnitude, directional derivatives, linear predictions against exact "
    "changes, tangent lines, a Jacobian, a Hessian and a Taylor expansion, step by step; "
    "functions.py holds f, ∇f and the Hessian of x² + 4y² as generated NumPy code.",
)
def _calculus_gallery() -> Files:
    return {**_documents(CALCULUS), "functions.py": calculus_code("x**2 + 4*y**2").source}


@example(
    "gradient-descent",
    "Gradient descent on (x − 3)² + 2(y + 1)², exactly",
    "Every iterate with its gradient, update and value, plain and with momentum; "
    "functions.py holds f and ∇f as generated NumPy code.",
)
def _descent_gallery() -> Files:
    return {**_documents(DESCENT), "functions.py": calculus_code(BOWL).source}


@example(
    "perceptron",
    "The perceptron on AND, OR, NAND and XOR",
    "The dot product and its angle, then Rosenblatt's rule update by update with exact "
    "arithmetic; XOR stops at the epoch bound because no separating line exists. "
    "perceptron_nand_wikipedia and perceptron_or_cornell reproduce those sources' tables column "
    "for column (x₀ = 1 with θ = 0.5; a bias input x₃ = −1), in decimals.",
)
def _perceptron_gallery() -> Files:
    return {**_documents(PERCEPTRON), **_documents(SOURCES, table="wide", decimals=True)}
