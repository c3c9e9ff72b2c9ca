"""One Jinja environment for every output: LaTeX-safe delimiters, StrictUndefined, filters.

Templates only lay out. Delimiters are chosen so LaTeX braces and Markdown never clash with them:

    ((* block *))      ((( expression )))      ((= comment =))

Filters: ``tex`` (a SymPy expression as LaTeX, in the document's notation), ``e`` (prose escaped
for LaTeX), ``md`` (prose escaped for Markdown), ``num`` (a number to a chosen number of
significant digits), ``pages`` (rows split into slides of a few lines), ``even`` (a list split
into runs of about equal length, one per slide), ``rule`` (a rule's words
as maths that pdflatex, KaTeX and MathJax 3 all read). Templates are looked up
in the user's folder first, then in the source tree's ``templates/``, then in the copy installed
inside the package.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import sympy as sp

from symnn.core.errors import SymnnError
from symnn.core.registry import Registry
from symnn.output.escape import escape_latex, escape_markdown
from symnn.output.layout import balanced, even, line_count, pages, tall
from symnn.output.prose import rule_inline, rule_math
from symnn.output.sandbox import TemplateSandbox, bounded
from symnn.printing.latex import SymnnLatexPrinter
from symnn.printing.numbers import format_number

PACKAGE_DIR = Path(__file__).resolve().parent.parent
SOURCE_TEMPLATES = PACKAGE_DIR.parent / "templates"
INSTALLED_TEMPLATES = PACKAGE_DIR / "templates"


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
FILTERS.add("even", even)
FILTERS.add("tall", tall)
FILTERS.add("line_count", line_count)
FILTERS.add("balanced", balanced)
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
    """The Jinja environment every output is rendered with (one per template search path, so
    each template is compiled once per process; Jinja reloads a template whose file changed)."""
    return _environment(tuple(str(d) for d in template_dirs(user_dir)))


@lru_cache(maxsize=16)
def _environment(dirs: tuple[str, ...]) -> jinja2.Environment:
    env = TemplateSandbox(  # templates are shared, so untrusted: see symnn.output.sandbox
        loader=jinja2.FileSystemLoader(list(dirs)),
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
        chunks = environment(user_dir).get_template(template).generate(**context)
        return bounded(chunks, template)
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
