"""The chain of Jacobians of a dense stack, as blocks drawn to their shapes.

For one sample, in numerator layout (∂u/∂v is len u × len v), the loss's Jacobian with respect
to the input is the product ∂L/∂a⁽ᴸ⁾ · ∂a⁽ᴸ⁾/∂z⁽ᴸ⁾ · ∂z⁽ᴸ⁾/∂a⁽ᴸ⁻¹⁾ · … · ∂z⁽¹⁾/∂x: 1 × n_L, then
n_L × n_L, n_L × n_{L−1} (that is W⁽ᴸ⁾), … Each block is drawn with its rows and columns to
scale (widths beyond eight units are drawn as eight and a break), so the inner sizes that must
agree sit side by side. The widths are the network's own; an elementwise activation's block is
diagonal, a softmax's full.
"""

from __future__ import annotations

from typing import Any

from symnn.core.errors import SymnnError

UNIT = 0.28  # cm per row or column
CAP = 8  # rows or columns drawn before a break
ELEMENTWISE_FULL = ("softmax",)


def _size(n: int) -> float:
    return UNIT * (min(n, CAP) + (1 if n > CAP else 0))


def chain_picture(network: Any) -> str | None:
    """The TikZ picture of the chain for a plain dense stack (None for a graph network)."""
    if not network.is_chain:
        return None
    widths = list(network.widths)
    depth = len(widths) - 1
    blocks: list[tuple[str, int, int, str]] = [
        (rf"\frac{{\partial L}}{{\partial \mathbf{{a}}^{{({depth})}}}}", 1, widths[depth], "full")
    ]
    for layer in range(depth, 0, -1):
        n, m = widths[layer], widths[layer - 1]
        activation = network.layers[layer - 1].activation
        kind = "full" if activation in ELEMENTWISE_FULL else "diag"
        a, z = rf"\mathbf{{a}}^{{({layer})}}", rf"\mathbf{{z}}^{{({layer})}}"
        blocks.append((rf"\frac{{\partial {a}}}{{\partial {z}}}", n, n, kind))
        blocks.append((rf"W^{{({layer})}}", n, m, "full"))
    for (_, _, cols, _), (_, rows, _, _) in zip(blocks, blocks[1:], strict=False):
        if cols != rows:
            raise SymnnError(f"Jacobian chain: {cols} columns meet {rows} rows (a bug)")
    lines = [r"\begin{tikzpicture}[x=1cm, y=1cm, font=\scriptsize]"]
    x = 0.0
    for name, rows, cols, kind in blocks:
        w, h = _size(cols), _size(rows)
        fill = "blue!8" if kind == "full" else "white"
        lines.append(rf"\draw[fill={fill}] ({x:.2f}, 0) rectangle ({x + w:.2f}, {-h:.2f});")
        if kind == "diag":
            lines.append(rf"\draw[blue!60!black, thick] ({x:.2f}, 0) -- ({x + w:.2f}, {-h:.2f});")
        lines.append(rf"\node[above] at ({x + w / 2:.2f}, 0) {{${rows} \times {cols}$}};")
        lines.append(rf"\node[below] at ({x + w / 2:.2f}, {-h - 0.1:.2f}) {{${name}$}};")
        x += max(w + 0.35, 1.05)  # room for the name under a narrow block
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines) + "\n"
