"""The chain of Jacobians of a dense stack, as blocks drawn to their shapes.

For one sample, in numerator layout (∂u/∂v is len u × len v), the loss's Jacobian with respect
to the input is the product ∂L/∂a⁽ᴸ⁾ · ∂a⁽ᴸ⁾/∂z⁽ᴸ⁾ · ∂z⁽ᴸ⁾/∂a⁽ᴸ⁻¹⁾ · … · ∂z⁽¹⁾/∂x: 1 × n_L, then
n_L × n_L, n_L × n_{L−1} (that is W⁽ᴸ⁾), … Each block is drawn with its rows and columns to
scale (widths beyond eight units are drawn as eight and a break), so the inner sizes that must
agree sit side by side. The widths are the network's own; an elementwise activation's block is
diagonal, a softmax's full. A chain wider than the room it is given (``width`` cm: the page's
text, or a slide's) wraps into rows, each row ending and the next starting with a ⋯; of the
ways to wrap it, the one needing the least scaling down to fit the room's height too is drawn.
"""

from __future__ import annotations

from typing import Any

from symnn.core.errors import SymnnError

UNIT = 0.28  # cm per row or column
CAP = 8  # rows or columns drawn before a break
ELEMENTWISE_FULL = ("softmax",)
ROOM = {"article": (15.0, 20.0), "beamer": (10.8, 5.4)}  # cm (width, height) a chain may take
WRAP = 0.6  # cm a ⋯ takes at the end and start of a wrapped row
LABELS = 1.4  # cm between rows for the shapes above and the names below a block


def _size(n: int) -> float:
    return UNIT * (min(n, CAP) + (1 if n > CAP else 0))


def chain_picture(network: Any, fit: str = "article") -> str | None:
    """The TikZ picture of the chain for a plain dense stack (None for a graph network), in rows
    scaled to fit ``ROOM[fit]``."""
    if fit not in ROOM:
        raise SymnnError(f"unknown figure size {fit!r}; known: {', '.join(ROOM)}")
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
    room_w, room_h = ROOM[fit]
    best: tuple[float, list[list]] | None = None
    for stretch in (1.0, 1.25, 1.5, 2.0, 3.0, 100.0):
        rows = _rows(blocks, room_w * stretch)
        wide = max(sum(_step(_size(b[2])) for b in row) + WRAP * (len(rows) > 1) for row in rows)
        high = sum(max(_size(b[1]) for b in row) + LABELS for row in rows)
        scale = min(1.0, room_w / wide, room_h / high)
        if best is None or scale > best[0] + 1e-9:
            best = (scale, rows)
    scale, rows = best
    lines = [r"\begin{tikzpicture}[x=1cm, y=1cm, font=\scriptsize]"]
    top = 0.0
    for number, row in enumerate(rows):
        x = WRAP if number else 0.0
        if number:
            lines.append(rf"\node at ({WRAP / 2:.2f}, {top - 0.2:.2f}) {{$\cdots$}};")
        for name, rows_, cols, kind in row:
            w, h = _size(cols), _size(rows_)
            fill = "blue!8" if kind == "full" else "white"
            corner = f"({x:.2f}, {top:.2f}) rectangle ({x + w:.2f}, {top - h:.2f})"
            lines.append(rf"\draw[fill={fill}] {corner};")
            if kind == "diag":
                diagonal = f"({x:.2f}, {top:.2f}) -- ({x + w:.2f}, {top - h:.2f})"
                lines.append(rf"\draw[blue!60!black, thick] {diagonal};")
            lines.append(
                rf"\node[above] at ({x + w / 2:.2f}, {top:.2f}) {{${rows_} \times {cols}$}};"
            )
            lines.append(rf"\node[below] at ({x + w / 2:.2f}, {top - h - 0.1:.2f}) {{${name}$}};")
            right = x + w
            x += _step(w)
        if number < len(rows) - 1:
            lines.append(rf"\node at ({right + WRAP / 2:.2f}, {top - 0.2:.2f}) {{$\cdots$}};")
        top -= max(_size(r) for _, r, _, _ in row) + LABELS
    lines.append(r"\end{tikzpicture}")
    picture = "\n".join(lines) + "\n"
    return picture if scale >= 1.0 else f"\\scalebox{{{scale:.3f}}}{{%\n{picture}}}%\n"


def _step(w: float) -> float:
    """The cm from one block's left edge to the next's: room for the name under a narrow one."""
    return max(w + 0.35, 1.05)


def _rows(blocks: list, width: float) -> list[list]:
    """The blocks in rows whose drawn width (with the ⋯ of a wrap) stays within ``width`` cm."""
    rows: list[list] = [[]]
    used = 0.0
    for block in blocks:
        w = _step(_size(block[2]))
        if rows[-1] and used + w + WRAP > width:
            rows.append([])
            used = WRAP
        rows[-1].append(block)
        used += w
    return rows
