"""One Jinja environment for every output: LaTeX-safe delimiters, StrictUndefined, filters.

Templates only lay out. Delimiters are chosen so LaTeX braces and Markdown never clash with them:

    ((* block *))      ((( expression )))      ((= comment =))

Filters: ``tex`` (a SymPy expression as LaTeX, in the document's notation), ``e`` (prose escaped
for LaTeX), ``md`` (prose escaped for Markdown), ``num`` (a number to a chosen number of
significant digits), ``pages`` (rows split into slides of a few lines), ``rule`` (a rule's words
as maths that pdflatex, KaTeX and MathJax 3 all read). Templates are looked up
in the user's folder first, then in the source tree's ``templates/``, then in the copy installed
inside the package.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import sympy as sp

from symnn.core.errors import SymnnError
from symnn.core.registry import Registry
from symnn.output.layout import pages
from symnn.output.prose import rule_inline, rule_math
from symnn.printing.latex import SymnnLatexPrinter
from symnn.printing.numbers import format_number

PACKAGE_DIR = Path(__file__).resolve().parent.parent
SOURCE_TEMPLATES = PACKAGE_DIR.parent / "templates"
INSTALLED_TEMPLATES = PACKAGE_DIR / "templates"

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
_MARKDOWN_SPECIALS = set("\\`*_{}[]<>()#|$~")
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
    "ᵀ": r"^{\mathsf{T}}",
    "∇": r"\nabla",
    "←": r"\leftarrow",
    "≠": r"\neq",
    "≈": r"\approx",
    "ŷ": r"\hat{y}",
    "°": r"^{\circ}",
}
# Sub- and superscript digits (n₀, x²) as LaTeX scripts.
_UNICODE_MATH |= {chr(0x2080 + d): f"_{{{d}}}" for d in range(10)}
_UNICODE_MATH |= {"⁰": "^{0}", "¹": "^{1}", "²": "^{2}", "³": "^{3}"}


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
    return "".join(_escape_char(ch) for ch in str(text))


def _escape_char(ch: str) -> str:
    if ch in _LATEX_SPECIALS:
        return _LATEX_SPECIALS[ch]
    if ch in _UNICODE_MATH:
        return rf"\ensuremath{{{_UNICODE_MATH[ch]}}}"
    return ch


# \( \) \[ \] open and close mathematics in Jupyter's MathJax, so brackets become entities.
_MARKDOWN_ENTITIES = {"&": "&amp;", "(": "&#40;", ")": "&#41;", "[": "&#91;", "]": "&#93;"}


def escape_markdown(text: object) -> str:
    """User prose made safe for Markdown (and for the math renderers that read `$`, `\\(`, `\\[`).

    Examples:
        >>> print(escape_markdown("W1[1,1] (a_1) costs $5"))
        W1&#91;1,1&#93; &#40;a\\_1&#41; costs \\$5
    """
    text = str(text)
    escaped = "".join(
        _MARKDOWN_ENTITIES.get(ch, "\\" + ch if ch in _MARKDOWN_SPECIALS else ch) for ch in text
    )
    return "\\" + escaped if text[:1] in _MARKDOWN_LINE_START else escaped


@jinja2.pass_context
def _tex(context: jinja2.runtime.Context, expr: sp.Basic) -> str:
    printer = context.get("printer")
    if printer is None:
        printer = SymnnLatexPrinter()
    return printer.doprint(sp.sympify(expr) if isinstance(expr, int | float) else expr)


FILTERS: Registry[Callable[..., str]] = Registry("template filter")
FILTERS.add("tex", _tex)
FILTERS.add("e", escape_latex)
FILTERS.add("md", escape_markdown)
FILTERS.add("num", format_number)
FILTERS.add("pages", pages)
FILTERS.add("rule", rule_math)
FILTERS.add("rule_inline", rule_inline)


def template_dirs(user_dir: str | Path | None = None) -> list[Path]:
    """Where templates are looked up, first match wins."""
    dirs = []
    if user_dir is not None:
        user_dir = Path(user_dir)
        if not user_dir.is_dir():
            raise SymnnError(f"template folder {str(user_dir)!r}: expected a folder, found none")
        dirs.append(user_dir)
    dirs += [d for d in (SOURCE_TEMPLATES, INSTALLED_TEMPLATES) if d.is_dir()]
    return dirs


def environment(user_dir: str | Path | None = None) -> jinja2.Environment:
    """The Jinja environment every output is rendered with."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs(user_dir)]),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        block_start_string="((*",
        block_end_string="*))",
        variable_start_string="(((",
        variable_end_string=")))",
        comment_start_string="((=",
        comment_end_string="=))",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update({name: FILTERS[name] for name in FILTERS})
    # Standalone documents are A4 unless a context asks for paper="letter".
    env.globals["paper"] = "a4"
    return env


def render(template: str, context: dict[str, Any], user_dir: str | Path | None = None) -> str:
    """Render one template with ``context``; a missing template or variable is a clear error."""
    try:
        return environment(user_dir).get_template(template).render(**context)
    except jinja2.TemplateNotFound as error:
        raise SymnnError(
            f"template {error.name!r} not found in {template_dirs(user_dir)}"
        ) from None
    except jinja2.UndefinedError as error:
        raise SymnnError(f"template {template!r}: {error.message}") from None
    except jinja2.TemplateSyntaxError as error:
        name = error.filename or error.name or template
        raise SymnnError(f"template {name}, line {error.lineno}: {error.message}") from None
    except jinja2.TemplateError as error:
        raise SymnnError(f"template {template!r}: {error}") from None
