"""Long displays fit the page without misstating the maths (issue 12).

- A product whose bracketed sum is wider than a line breaks inside the brackets (closed with
  ``\\right.`` and reopened with ``\\left.``), its factors in order, every line within the width.
- A rule too long for its row is wrapped between words; a rule in the list of rules is prose.
- A substituted point prints as maths: ``3 \\cdot 2^{2} \\cdot e``, never "3 e 1^{2}".
- A long exact descent keeps its table and steps on the page: long numbers are rounded in the
  table (marked ≈) and cut short in the steps (…), and the document says so.
"""

from __future__ import annotations

import re

import sympy as sp

from symnn.calculus.calculus import derivative, gradient
from symnn.calculus.descent import gradient_descent
from symnn.cli.main import main
from symnn.output.layout import Piece, break_row, visible_width
from symnn.output.notes import formula_lines, wrap_words
from symnn.output.prose import rule_inline
from symnn.output.refresher import cut_decimal, render_refresher
from symnn.printing.latex import SymnnLatexPrinter
from tests.latex_readback import same_order
from tests.render_cases import ROOT

printer = SymnnLatexPrinter()


def _line_tex(line) -> str:
    return " ".join(
        f"{p.joiner} {p.before}{printer.doprint(p.expr)}{p.after}" for p in line.pieces
    ).strip()


def test_a_wide_bracketed_sum_breaks_inside_its_brackets_in_order():
    A, B, C, D = (sp.MatrixSymbol(n, 3, 3) for n in "ABCD")
    long_sum = sp.MatAdd(*(sp.MatMul(A, B, C, D, X) for X in (A, B, C, D)))
    product = sp.MatMul(sp.Rational(1, 2), sp.MatMul(D, long_sum, evaluate=False), evaluate=False)
    row = break_row(sp.Symbol("G"), [Piece("=", product)], printer.doprint, 14)
    lines = [_line_tex(line) for line in row.lines]
    assert len(lines) > 2
    assert all(visible_width(t.lstrip("=+")) <= 14 * 1.3 for t in lines), lines
    # Each line pairs its own \left and \right, and the whole reads back in order.
    for t in lines:
        assert t.count(r"\left") == t.count(r"\right"), t
    joined = " ".join(t.removeprefix("=") for t in lines)
    assert same_order(joined, product, printer), joined
    swapped = sp.MatMul(sp.Rational(1, 2), sp.MatMul(long_sum, D, evaluate=False))
    assert not same_order(joined, swapped, printer)


def test_a_negative_coefficient_prints_as_one_number():
    A, B = (sp.MatrixSymbol(n, 2, 2) for n in "AB")
    product = sp.MatMul(sp.Rational(-1, 2), sp.HadamardProduct(sp.MatMul(A, B, A, B), A, B, A))
    row = break_row(sp.Symbol("G"), [Piece("=", product)], printer.doprint, 6)
    first = _line_tex(row.lines[0])
    assert r"\left(-1\right)" not in first and first.startswith(r"= - \frac{1}{2}"), first


def test_long_rules_wrap_between_words_and_read_as_prose():
    assert wrap_words("one two three four five", 20) == ("one two three", "four five")
    words = "a kernel weight's gradient sums over every position: the input with δ (δ spread)"
    inline = rule_inline(words)
    assert inline.startswith("a kernel weight's gradient") and "$\\delta$" in inline
    assert rule_inline("σ² reaches L") == r"$\sigma^{2}$ reaches L"


def test_long_rules_break_at_phrases_never_inside_a_noun_phrase_or_a_formula():
    # The layernorm matrix note broke evenly into "… through the normalised / x, σ² and μ: …".
    words = "x reaches L through the normalised x, σ² and μ: the three paths add"
    assert wrap_words(words, 50) == (
        "x reaches L through the normalised x,",
        "σ² and μ: the three paths add",
    )
    lines = wrap_words("derivative of the cell update f ⊙ (previous c) + i ⊙ g (product rule)", 50)
    assert lines[1].startswith("f ⊙ (previous c)"), lines
    tex = r"\delta_j a_k \text{ for all } j, k\text{ is the outer product } x"
    assert formula_lines(tex, 20) == (
        r"\delta_j a_k \text{ for all } j, k",
        r"\text{ is the outer product } x",
    )


def _substituted(derivation) -> list[sp.Basic]:
    """The derivative's substitution steps (f's own value at the point is worked too)."""
    return [
        s for s in derivation.steps if s.rule == "substitute_point" and isinstance(s.lhs, sp.Subs)
    ]


def test_a_substituted_point_prints_its_products_as_maths():
    run = derivative("e*x**3", at="2")
    (step,) = _substituted(run)
    tex = render_refresher(run, "tex")
    assert r"3 \cdot 2^{2} \cdot e" in tex
    assert sp.simplify(step.rhs.doit() - 12 * sp.E) == 0  # what it states is the value
    # The point stands in place, powers of one too (3·1²·e): the next step evaluates them.
    run = derivative("e*x**3", at="1")
    (step,) = _substituted(run)
    assert r"3 \cdot 1^{2} \cdot e &&" in render_refresher(run, "tex")
    assert sp.simplify(step.rhs.doit() - 3 * sp.E) == 0
    run = derivative("x**3*exp(x)", at="1")
    (step,) = _substituted(run)
    tex = render_refresher(run, "tex")
    (row,) = [r for r in tex.splitlines() if r"1^{3} \cdot e^{1} + 3 \cdot 1^{2} \cdot e^{1}" in r]
    assert sp.simplify(step.rhs.doit() - 4 * sp.E) == 0
    run = gradient("e*x**3*y", at="1,2")
    tex = render_refresher(run, "tex")
    assert r"&= 3 \cdot 1^{2} \cdot 2 \cdot e &&" in tex  # ∂f/∂x = 3e x² y at (1, 2)
    for row in re.findall(r"&= (.*?) && .*substitute the point", tex):
        assert not re.search(r"(\d|\be|\})\s+\d", row), row  # no "3 e 1^{2}", no "2 3"


def test_cut_decimals_are_the_first_digits_of_the_expansion():
    assert cut_decimal(sp.Rational(2, 3), 5) == r"0.66666\ldots"
    assert cut_decimal(sp.Rational(-1, 3 * 10**9), 3) == r"-3.33\ldots \cdot 10^{-10}"
    value = sp.Rational(7**40, 3**50)  # about 8.9 · 10⁹: cut, never rounded up
    shown = cut_decimal(value, 12).removesuffix(r"\ldots")
    places = len(shown.split(".")[1])
    assert sp.Rational(shown) <= value < sp.Rational(shown) + sp.Rational(1, 10**places)


def test_a_long_exact_descent_says_what_it_rounded_and_cut():
    run = gradient_descent("x**2/3", start="1", steps=40, exact=True)
    tex = render_refresher(run, "tex")
    table = tex[tex.index(r"\begin{tabular}") : tex.index(r"\end{tabular}")]
    assert r"\approx" in table and r"\frac" not in table.split(r"\hline")[1].split("\n")[-2]
    assert "rounded to 10 significant digits" in tex and "cut short" in tex
    assert r"\ldots" in tex
    # Every number the table shows exactly is the run's number.
    last = run.iterates[-1].point[0]
    assert f"{float(last):.9g}"[:8] in table


def test_rules_go_below_when_a_term_that_cannot_be_cut_leaves_them_no_room():
    """The normalisation layers' ∂L/∂X once ran 5.5pt off the page: a product too wide for the
    room beside the rules was cut as far as it goes, and the rules' column still sat beside it.
    The rules beside are shortened (longest below first) until the widest line fits."""
    from symnn.output.document import _Builder

    builder = _Builder(printer, 58, 0.75)
    f = sp.Function("f")(*sp.symbols("x1:13"))  # one term, never cut: about 40 characters
    entries = [
        (sp.Symbol("G"), [Piece("=", f)], "Y = γ·(normalised X) + β, entry by entry"),
        (sp.Symbol("H"), [Piece("=", sp.Symbol("y"))], "definition"),
    ]
    rows = builder.rows(entries)
    beside = max((len(r.rule) for r in rows if r.rule and not r.rule_below), default=0)
    assert 1 + max(r.span for r in rows) + 0.75 * beside <= 58, [
        (r.span, r.rule_below) for r in rows
    ]
    assert rows[0].rule_below and not rows[1].rule_below  # the short rule keeps its place


def test_a_coefficient_one_is_not_printed():
    """A rule's 2/N with N = 2 printed "+ 1 (∂L/∂σ² 𝟏) ⊙ …" in the batchnorm documents."""
    from symnn.printing.text import text

    A, B = (sp.MatrixSymbol(n, 2, 2) for n in "AB")
    term = sp.MatAdd(A, sp.MatMul(sp.Integer(1), sp.HadamardProduct(A, B)))
    assert printer.doprint(term) == r"A + A \odot B"
    assert text(term) == "A + A ⊙ B"
    bracketed = sp.MatMul(sp.Integer(1), sp.MatAdd(A, B), B, evaluate=False)
    assert printer.doprint(bracketed) == r"\left(A + B\right) B"
    assert text(bracketed) == "(A + B)*B"


def test_slide_notes_count_at_their_size_so_step_frames_fill_up(tmp_path):
    # A GRU's BPTT notes below their rows counted as full lines of fractions: 24 "Steps" frames,
    # some holding one or two rows (now 20; that none overflows is test_beamer_slides_fit's).
    path = tmp_path / "gru.tex"
    argv = ["derive", str(ROOT / "examples" / "gru.toml"), "--format", "beamer", "--level"]
    assert main([*argv, "matrix", "-o", str(path)]) == 0
    assert path.read_text().count("\\begin{frame}{Steps") <= 20
