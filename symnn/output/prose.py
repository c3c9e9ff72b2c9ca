r"""Words that sit inside a display (the rule beside each step) as mathematics every renderer reads.

pdflatex, KaTeX and MathJax 3 agree on ``\text{plain words}`` and on ordinary math commands, and on
little else: ``\ensuremath`` and ``\_`` inside ``\text{…}`` are errors in KaTeX and show as raw
source in MathJax, and pdflatex cannot typeset ∂ or δ from UTF-8 text. So a rule's words become
``\text{…}`` runs of plain ASCII, with every symbol between them in math mode. Rules whose words
carry a formula have it written out below, typeset as the document typesets its own maths.
"""

from __future__ import annotations

import re

import symnn.layers  # noqa: F401  (registers the layers' rules, whose words are keys below)
from symnn.core.errors import SymnnError
from symnn.core.steps import RULES
from symnn.output.escape import _UNICODE_MATH, escape_latex, escape_markdown

_T = r"^{T}"
# The rules whose words hold a formula, as that formula (keys are the words of RULES).
RULE_MATH = {
    RULES["reuse"]: r"\delta\text{ computed once and reused}",
    RULES["vector_chain_rule"]: (
        r"\text{vector chain rule: } \partial L/\partial v = (\partial u/\partial v)"
        + _T
        + r" \, \partial L/\partial u \text{ (numerator layout)}"
    ),
    RULES["jacobian_linear"]: (
        r"\text{Jacobian of } z = W a + b\text{: } \partial z/\partial a = W,"
        r" \ \partial z/\partial b = I"
    ),
    RULES["jacobian_elementwise"]: (
        r"\text{Jacobian of an elementwise activation: } \operatorname{diag}(f'(z))"
    ),
    RULES["jacobian_softmax"]: r"\text{Jacobian of softmax: } \operatorname{diag}(s) - s s" + _T,
    RULES["jacobian_weights"]: r"\partial z_i/\partial w_{jk} = [i = j] \, a_k",
    RULES["kronecker_sum"]: r"\text{the bracket } [i = j] \text{ picks one term of the sum}",
    RULES["kronecker_sum_outputs"]: (
        r"\text{the bracket } [j = k] \text{ picks the term } k = j \text{ of the sum}"
    ),
    RULES["outer_product"]: (
        r"\partial L/\partial w_{jk} = \delta_j a_k \text{ for all } j, k"
        r"\text{ is the outer product } \delta a" + _T
    ),
    RULES["diag_hadamard"]: r"\operatorname{diag}(v) \, u = u \odot v",
    RULES["softmax_jacobian_product"]: (
        r"(\operatorname{diag}(s) - s s"
        + _T
        + r") \, g = s \odot (g - (s"
        + _T
        + r" g) \mathbf{1})"
    ),
    RULES["logsumexp_gradient"]: (
        r"\text{the gradient of } \log \textstyle\sum_k e^{z_k} \text{ is }"
        r" \operatorname{softmax}(z)"
    ),
    RULES["index_recursion"]: r"\text{the } \delta \text{ recursion in index form}",
    RULES["add_and_subtract_one"]: (
        r"\frac{e^{-z}}{1 + e^{-z}} = \frac{(1 + e^{-z}) - 1}{1 + e^{-z}}"
        r" = 1 - \frac{1}{1 + e^{-z}}"
    ),
    RULES["quotient_rule"]: (
        r"\text{quotient rule } \left(\frac{u}{v}\right)' = \frac{u' v - u v'}{v^2}"
        r"\text{, here } u' = v,\ v' = u"
    ),
    RULES["cancel_activation"]: r"a_k \cdot \frac{1}{a_k} = 1",
    # symnn/layers/embedding.py and dropout.py
    RULES["embedding_lookup"]: (
        r"\text{an embedding looks up row } x_t\text{: } \partial e_{t,j}/\partial E_{v,j}"
        r" = [x_t = v]\text{, and 0 in } x_t"
    ),
    RULES["embedding_bag"]: (
        r"\text{an embedding bag sums the looked-up rows: } \partial s_j/\partial E_{v,j}"
        r" = \textstyle\sum_t [x_t = v] \text{ (over } T \text{ for a mean)}"
    ),
    RULES["embedding_tokens"]: (
        r"\text{the lookup is constant in the tokens: } \partial a/\partial x = 0"
        r"\text{, nothing flows into } x"
    ),
    RULES["dropout"]: (
        r"\text{dropout scales a kept unit by } 1/q \text{ and zeroes a dropped one: }"
        r" \partial a_j/\partial u_j = m_j/q"
    ),
    RULES["residual_jacobian"]: (
        r"\text{a skip connection: } \partial/\partial a \, (a + F(a)) = I + J_F"
    ),
}

# Symbols that may appear in words, as math-mode commands.
_SYMBOLS = {
    "δ": r"\delta",
    "σ": r"\sigma",
    "η": r"\eta",
    "μ": r"\mu",
    "α": r"\alpha",
    "θ": r"\theta",
    "Φ": r"\Phi",
    "∂": r"\partial",
    "∇": r"\nabla",
    "Σ": r"\Sigma",
    "·": r"\cdot",
    "×": r"\times",
    "−": "-",
    "←": r"\leftarrow",
    "→": r"\to",
    "≤": r"\le",
    "≥": r"\ge",
    "⊙": r"\odot",
    "ŷ": r"\hat{y}",
    "ᵀ": _T,
    "½": r"\tfrac{1}{2}",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "^": r"\hat{}",
    "\\": r"\backslash",
    "~": r"\sim",
}
_PLAIN = set(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.;:!?'()[]/=+-*<>|\"@`"
)


_LETTERS = "A-Za-z0-9"
_SYMBOLIC = re.compile(f"[{_LETTERS}]*(?:[^{re.escape(''.join(sorted(_PLAIN)))}]+[{_LETTERS}]*)+")


def rule_math(words: str) -> str:
    r"""A rule's words as math: its formula if it has one, else ``\text{…}`` around plain runs.

    Examples:
        >>> rule_math("derivative of the loss")
        '\\text{derivative of the loss}'
        >>> rule_math("leaky ReLU, slope α")
        '\\text{leaky ReLU, slope }\\alpha'
    """
    if words in RULE_MATH:
        return RULE_MATH[words]
    parts: list[str] = []
    run = ""
    for ch in str(words):
        if ch in _PLAIN:
            run += ch
            continue
        # Any Greek letter or script digit a layer's rule names (μ, γ, τ, σ²) reads as in prose.
        symbol = _SYMBOLS.get(ch, _UNICODE_MATH.get(ch))
        if symbol is None:
            raise SymnnError(f"rule text {words!r}: no math form for {ch!r}")
        if run:
            parts.append(rf"\text{{{run}}}")
            run = ""
        mark = symbol[0] if symbol[:2] in ("^{", "_{") else ""
        if mark and parts and parts[-1].startswith(mark + "{"):  # W⁽ˡ⁾ is one script: ^{(l)}
            parts[-1] = parts[-1][:-1] + symbol[2:]
            continue
        parts.append(symbol)
    if run:
        parts.append(rf"\text{{{run}}}")
    return "".join(parts)


def rule_inline(words: str, fmt: str = "tex") -> str:
    """A rule's words in running text: plain words as prose, a formula as inline maths.

    A word that holds a symbol is inline maths on its own, so a long rule still breaks between
    its words (one math run around all of it would run past the margin).

    Examples:
        >>> rule_inline("chain rule")
        'chain rule'
        >>> rule_inline("diag(v) u = u ⊙ v", "md")
        '$\\\\operatorname{diag}(v) \\\\, u = u \\\\odot v$'
        >>> rule_inline("σ² reaches L")
        '$\\\\sigma^{2}$ reaches L'
        >>> rule_inline("Y = γ·(normalised X)")
        'Y = $\\\\gamma\\\\cdot$(normalised X)'
    """
    if words in RULE_MATH:
        return f"${rule_math(words)}$"
    # A symbol, with the letters and digits written against it (σ², W⁽ˡ⁾, ∂L), is inline maths;
    # everything between is prose, so a long rule breaks between words like any sentence.
    parts: list[str] = []

    def prose(plain: str) -> None:
        if fmt == "tex":
            parts.append(escape_latex(plain))
        else:  # only the rule's first word can start a Markdown list item
            parts.append(escape_markdown("x" + plain)[1:] if parts else escape_markdown(plain))

    at = 0
    for match in _SYMBOLIC.finditer(words):
        if match.start() > at:
            prose(words[at : match.start()])
        parts.append(f"${rule_math(match.group())}$")
        at = match.end()
    if at < len(words):
        prose(words[at:])
    return "".join(parts)
