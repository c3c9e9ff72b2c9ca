"""The views of symnn objects in a notebook and as text, registered in ``symnn.core.display``.

``symnn.core.display`` imports this module the first time a view is asked for, so the views are
in place whatever a user imports, and ``import symnn`` does not pay for them;
the objects themselves (``Derivation``, the calculus and perceptron runs) sit below the output
package and only ask ``display`` for their view.
"""

from __future__ import annotations

from symnn.calculus.descent import Descent
from symnn.calculus.evaluation import CalculusDerivation
from symnn.core import display
from symnn.core.steps import Derivation, Step
from symnn.perceptron.run import PerceptronRun
from symnn.printing.session import document_latex
from symnn.printing.text import text


def derivation_text(derivation: Derivation) -> str:
    """A derivation as plain text: each section's steps with their rules, then the results."""
    lines = [derivation.title]
    for section in derivation.sections:
        lines.append(f"\n{text(section.subject)}")
        lines += [f"  {text(s.lhs)} = {text(s.rhs)}    [{s.rule_text}]" for s in section.steps]
    lines.append("\nResults")
    lines += [f"  {text(s.lhs)} = {text(s.rhs)}" for s in derivation.written_results()]
    return "\n".join(lines)


def render_derivation(derivation: Derivation, fmt: str) -> str:
    from symnn.output.document import render_derivation  # Jinja: not for the text view

    return render_derivation(derivation, fmt)


def render_refresher(run, fmt: str) -> str:
    from symnn.output.refresher import render_refresher

    return render_refresher(run, fmt)


display.register(Derivation, "latex", lambda d: render_derivation(d, "aligned"))
display.register(Derivation, "markdown", lambda d: render_derivation(d, "md"))
display.register(Derivation, "text", derivation_text)
display.register(CalculusDerivation, "latex", lambda d: None)  # the Markdown carries the maths
for _cls in (CalculusDerivation, Descent, PerceptronRun):
    display.register(_cls, "markdown", lambda run: render_refresher(run, "md"))


def step_latex(step: Step) -> str:
    """One step typeset (layered notation) with its rule in words beside it."""
    rule = step.rule_text.replace("\\", "").replace("{", "").replace("}", "")
    lhs, rhs = document_latex(step.lhs), document_latex(step.rhs)
    return f"$\\displaystyle {lhs} = {rhs} \\qquad \\text{{({rule})}}$"


display.register(Step, "latex", step_latex)
display.register(Step, "text", lambda step: f"{text(step.lhs)} = {text(step.rhs)}")
