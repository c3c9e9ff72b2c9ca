"""Escaping user prose for LaTeX and Markdown: every active character becomes literal text."""

from __future__ import annotations

import unicodedata

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "%": r"\%",
    "|": r"\ensuremath{|}",  # text mode would print an em dash
}
_MARKDOWN_SPECIALS = set("`*_{}<>#|$~")
# These mark up only at the start of a line (a list item, a numbered list, an image).
_MARKDOWN_LINE_START = set("+-.!")
# Characters pdflatex cannot typeset from UTF-8 text by default, as the mathematics they name.
_GREEK = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma"
_GREEK += " tau upsilon phi chi psi omega"
_CAPITALS = "gamma delta theta lambda xi pi sigma upsilon phi psi omega"


def _greek(case: str, name: str) -> str:
    return unicodedata.lookup(f"greek {case} letter {name.replace('lambda', 'lamda')}")


_UNICODE_MATH = {_greek("small", n): rf"\{n}" for n in _GREEK.split()}
_UNICODE_MATH |= {_greek("capital", n): rf"\{n.capitalize()}" for n in _CAPITALS.split()}
_UNICODE_MATH |= {"ς": r"\varsigma", "ο": "o"}
_UNICODE_MATH |= {
    "∂": r"\partial",
    "·": r"\cdot",
    "×": r"\times",
    "→": r"\to",
    "≤": r"\le",
    "≥": r"\ge",
    "−": "-",
    "…": r"\ldots",
    "⊙": r"\odot",
    "∑": r"\sum",
    "½": r"\tfrac{1}{2}",
    "′": "'",
    "″": "''",
    "ᵀ": r"^{\mathsf{T}}",
    "∇": r"\nabla",
    "←": r"\leftarrow",
    "≠": r"\neq",
    "≈": r"\approx",
    "ŷ": r"\hat{y}",
    "°": r"^{\circ}",
}
# Sub- and superscripts (n₀, x², W⁽ˡ⁾, nₗ₋₁) as LaTeX scripts, a run of them as one script.
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺⁽⁾ⁿˣˡᵅ", [*"0123456789-+()nxl", r"\alpha"], strict=True))
_SUBSCRIPTS = {chr(0x2080 + d): str(d) for d in range(10)}
_SUBSCRIPTS |= dict(zip("₋₊ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", "-+aehijklmnoprstuvx", strict=True))
_UNICODE_MATH |= {ch: f"^{{{raised}}}" for ch, raised in _SUPERSCRIPTS.items()}
_UNICODE_MATH |= {ch: f"_{{{lowered}}}" for ch, lowered in _SUBSCRIPTS.items()}
_SCRIPTS = (("^", _SUPERSCRIPTS), ("_", _SUBSCRIPTS))


def escape_latex(text: object) -> str:
    """User prose made safe for LaTeX: every active character becomes literal text.

    Greek letters and a few mathematical signs (δ, ∂, ·, ⊙) become the symbols they name, since
    pdflatex cannot typeset them from UTF-8 text.

    Examples:
        >>> escape_latex("δ reused")
        '\\\\ensuremath{\\\\delta} reused'

        >>> escape_latex(r"50% of \\input{x}")
        '50\\\\% of \\\\textbackslash{}input\\\\{x\\\\}'
    """
    text = str(text)
    parts, start = [], 0
    for position, ch in enumerate(text):
        if position < start:
            continue
        for mark, scripts in _SCRIPTS:  # a run of scripts is one: x\ensuremath{^{n - 1}}
            if ch in scripts:
                end = position
                while end < len(text) and text[end] in scripts:
                    end += 1
                run = " ".join(scripts[c] for c in text[position:end])
                parts.append(rf"\ensuremath{{{mark}{{{run}}}}}")
                start = end
                break
        else:
            parts.append(_escape_char(ch))
    return "".join(parts)


def _escape_char(ch: str) -> str:
    if ch in _LATEX_SPECIALS:
        return _LATEX_SPECIALS[ch]
    if ch in _UNICODE_MATH:
        return rf"\ensuremath{{{_UNICODE_MATH[ch]}}}"
    return ch


# \( \) \[ \] open and close mathematics in Jupyter's MathJax: a backslash becomes an entity, so
# none can form, and parentheses stay as written (headings read "(1, 1)", not "&#40;1, 1&#41;").
# Square brackets stay entities: unescaped, "[a](b)" would be a link.
_MARKDOWN_ENTITIES = {"&": "&amp;", "\\": "&#92;", "[": "&#91;", "]": "&#93;"}


def escape_markdown(text: object) -> str:
    """User prose made safe for Markdown (and for the math renderers that read `$`, `\\(`, `\\[`).

    Examples:
        >>> print(escape_markdown("W1[1,1] (a_1) costs $5"))
        W1&#91;1,1&#93; (a\\_1) costs \\$5
    """
    text = str(text)
    escaped = "".join(
        _MARKDOWN_ENTITIES.get(ch, "\\" + ch if ch in _MARKDOWN_SPECIALS else ch) for ch in text
    )
    return "\\" + escaped if text[:1] in _MARKDOWN_LINE_START else escaped
