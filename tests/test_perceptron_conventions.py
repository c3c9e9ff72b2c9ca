"""The perceptron under the sources' conventions: Wikipedia's NAND table (x₀ = 1 with weight w₀,
a fixed threshold θ = 0.5, fires only above it, η = 0.1) and Cornell's CS472 OR example (a bias
input x₃ = −1, fires at w·x ≥ 0, η = 0.5) reproduced column for column, decimals as printed."""

from fractions import Fraction

import pytest

from symnn.perceptron.run import _decimal, gate, train_perceptron
from symnn.perceptron.view import angle_degrees, run_derivation

# Wikipedia, "Perceptron", example (NAND): x0 x1 x2 | z | w0 w1 w2 | c0 c1 c2 | s | n | e | d |
# final w0 w1 w2, the first 28 rows as printed there.
WIKIPEDIA = """
1 0 0 1 0 0 0 0 0 0 0 0 1 +0.1 0.1 0 0
1 0 1 1 0.1 0 0 0.1 0 0 0.1 0 1 +0.1 0.2 0 0.1
1 1 0 1 0.2 0 0.1 0.2 0 0 0.2 0 1 +0.1 0.3 0.1 0.1
1 1 1 0 0.3 0.1 0.1 0.3 0.1 0.1 0.5 0 0 0 0.3 0.1 0.1
1 0 0 1 0.3 0.1 0.1 0.3 0 0 0.3 0 1 +0.1 0.4 0.1 0.1
1 0 1 1 0.4 0.1 0.1 0.4 0 0.1 0.5 0 1 +0.1 0.5 0.1 0.2
1 1 0 1 0.5 0.1 0.2 0.5 0.1 0 0.6 1 0 0 0.5 0.1 0.2
1 1 1 0 0.5 0.1 0.2 0.5 0.1 0.2 0.8 1 -1 -0.1 0.4 0 0.1
1 0 0 1 0.4 0 0.1 0.4 0 0 0.4 0 1 +0.1 0.5 0 0.1
1 0 1 1 0.5 0 0.1 0.5 0 0.1 0.6 1 0 0 0.5 0 0.1
1 1 0 1 0.5 0 0.1 0.5 0 0 0.5 0 1 +0.1 0.6 0.1 0.1
1 1 1 0 0.6 0.1 0.1 0.6 0.1 0.1 0.8 1 -1 -0.1 0.5 0 0
1 0 0 1 0.5 0 0 0.5 0 0 0.5 0 1 +0.1 0.6 0 0
1 0 1 1 0.6 0 0 0.6 0 0 0.6 1 0 0 0.6 0 0
1 1 0 1 0.6 0 0 0.6 0 0 0.6 1 0 0 0.6 0 0
1 1 1 0 0.6 0 0 0.6 0 0 0.6 1 -1 -0.1 0.5 -0.1 -0.1
1 0 0 1 0.5 -0.1 -0.1 0.5 0 0 0.5 0 1 +0.1 0.6 -0.1 -0.1
1 0 1 1 0.6 -0.1 -0.1 0.6 0 -0.1 0.5 0 1 +0.1 0.7 -0.1 0
1 1 0 1 0.7 -0.1 0 0.7 -0.1 0 0.6 1 0 0 0.7 -0.1 0
1 1 1 0 0.7 -0.1 0 0.7 -0.1 0 0.6 1 -1 -0.1 0.6 -0.2 -0.1
1 0 0 1 0.6 -0.2 -0.1 0.6 0 0 0.6 1 0 0 0.6 -0.2 -0.1
1 0 1 1 0.6 -0.2 -0.1 0.6 0 -0.1 0.5 0 1 +0.1 0.7 -0.2 0
1 1 0 1 0.7 -0.2 0 0.7 -0.2 0 0.5 0 1 +0.1 0.8 -0.1 0
1 1 1 0 0.8 -0.1 0 0.8 -0.1 0 0.7 1 -1 -0.1 0.7 -0.2 -0.1
1 0 0 1 0.7 -0.2 -0.1 0.7 0 0 0.7 1 0 0 0.7 -0.2 -0.1
1 0 1 1 0.7 -0.2 -0.1 0.7 0 -0.1 0.6 1 0 0 0.7 -0.2 -0.1
1 1 0 1 0.7 -0.2 -0.1 0.7 -0.2 0 0.5 0 1 +0.1 0.8 -0.1 -0.1
1 1 1 0 0.8 -0.1 -0.1 0.8 -0.1 -0.1 0.6 1 -1 -0.1 0.7 -0.2 -0.2
"""


def _wikipedia_run():
    return train_perceptron(
        *gate("nand"), learning_rate="0.1", theta="0.5", fires="gt", bias_column="first"
    )


def _cells(row) -> list[str]:
    flat = [*row["inputs"], row["y"], *row["initial"], *row["products"], row["sum"],
            row["y_hat"], row["error"], row["correction"], *row["final"]]  # fmt: skip
    return [_decimal(Fraction(v)) for v in flat]


def test_wikipedia_nand_table_column_for_column():
    expected = [[c.lstrip("+") for c in line.split()] for line in WIKIPEDIA.strip().splitlines()]
    rows = _wikipedia_run().wide_rows()
    assert [_cells(r) for r in rows[: len(expected)]] == expected


def test_wikipedia_sum_on_the_threshold_does_not_fire_exactly():
    # Row 4: 0.3 + 0.1 + 0.1 is 0.5, exactly θ, so the network answers 0 (floats: 0.50…01)
    row = _wikipedia_run().wide_rows()[3]
    assert row["sum"] == Fraction(1, 2) and row["y_hat"] == 0


def test_wikipedia_text_table_has_the_source_columns_in_order():
    text = _wikipedia_run().text("wide", decimals=True)
    head = text.splitlines()[3].split()
    assert head[:7] == ["x0", "x1", "x2", "y", "w0", "w1", "w2"]
    assert head[10:14] == ["sum", "ŷ", "y−ŷ", "η(y−ŷ)"]
    assert "θ = 0.5" in text and "1/2" not in text.split("converged")[0]


# Cornell CS472 (2004), perceptron-example.txt: OR, x3 = -1, η = 0.5, weights after each example.
CORNELL = [
    # epoch, example, dot product, output, error, weights after (w1, w2, w3)
    (1, 1, "0", 1, -1, ("0", "0", "0.5")),
    (1, 2, "-0.5", 0, 1, ("0", "0.5", "0")),
    (1, 3, "0", 1, 0, ("0", "0.5", "0")),
    (1, 4, "0.5", 1, 0, ("0", "0.5", "0")),
    (2, 1, "0", 1, -1, ("0", "0.5", "0.5")),
    (2, 2, "0", 1, 0, ("0", "0.5", "0.5")),
    (2, 3, "-0.5", 0, 1, ("0.5", "0.5", "0")),
]


def test_cornell_or_example_with_bias_input_minus_one():
    run = train_perceptron(*gate("or"), learning_rate="0.5", bias_input=-1, bias_column="last")
    rows = run.wide_rows()
    for (epoch, sample, dot, out, err, weights), row in zip(CORNELL, rows, strict=False):
        assert (row["epoch"], row["sample"]) == (epoch, sample)
        assert row["inputs"][-1] == -1
        assert _decimal(row["sum"]) == dot and row["y_hat"] == out and row["error"] == err
        assert tuple(_decimal(v) for v in row["final"]) == weights
    assert run.wide_names() == (["x1", "x2", "x3"], ["w1", "w2", "w3"])
    assert run.converged and run.weights == (Fraction(1, 2), Fraction(1, 2))


def test_bias_input_minus_one_is_a_learned_threshold():
    # w·x − b ≥ 0 with b on input −1 gives the same run as w·x + b' ≥ 0 with b' = −b.
    plain = train_perceptron(*gate("and"))
    cornell = train_perceptron(*gate("and"), bias_input=-1)
    assert [u.weights for u in plain.updates] == [u.weights for u in cornell.updates]
    assert [u.bias for u in plain.updates] == [-u.bias for u in cornell.updates]
    assert plain.offset == cornell.offset


def test_update_turns_w_toward_x_by_the_numbers():
    assert float(angle_degrees([1, 0], [1, 1])) == 45.0
    run = train_perceptron(*gate("or"), learning_rate="0.5", bias_input=-1, bias_column="last")
    derivation = run_derivation(run, only_mistakes=True)
    turns = []
    for section in derivation.sections:
        angles = {str(s.lhs): float(s.rhs) for s in section.steps if s.rule == "angle"}
        if "∠ before" in angles:
            turns.append(angles)
    assert turns, "no update with a direction before and after"
    w = run.initial_weights
    for u in run.updates:
        if u.changed and any(w) and any(u.x):
            before, after = angle_degrees(w, u.x), angle_degrees(u.weights, u.x)
            assert (after < before) if u.error > 0 else (after > before)
        w = u.weights


def test_decimals():
    assert _decimal(Fraction(1, 8)) == "0.125" and _decimal(Fraction(-2, 3)) == "-0.6666666667"


@pytest.mark.parametrize("bad", [{"bias_column": "middle"}, {"bias_input": 0}])
def test_bad_conventions_are_named(bad):
    from symnn.core.errors import SymnnError

    with pytest.raises(SymnnError):
        train_perceptron(*gate("and"), **bad)


def test_cli_wide_table_with_decimals(capsys):
    from symnn.cli.main import main

    argv = ["perceptron", "--gate", "nand", "--lr", "0.1", "--theta", "0.5", "--threshold", "gt",
            "--bias-column", "first", "--table", "wide", "--decimals"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "x0·w0" in out and "θ = 0.5" in out and "w0 = 0.8" in out
    assert main([*argv[:-1], "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert "$x_{0} w_{0}$" in md and "new $w_{0}$" in md


def test_per_sample_against_batch_mean_criterion():
    run = train_perceptron(*gate("and"))
    mean_w, mean_b, new_w, new_b = run.batch_step()
    # at w = 0, b = 0 every sample fires; the three labelled 0 give error −1
    assert mean_w == (Fraction(-1, 4), Fraction(-1, 4)) and mean_b == Fraction(-3, 4)
    assert new_w == mean_w and new_b == mean_b  # η = 1 from zero
    # the per-sample run moves after its first sample already
    assert run.updates[0].changed and run.updates[0].bias == -1
    assert "batch mean" in run.text() and "per sample" in run.text()
    cornell = train_perceptron(*gate("or"), learning_rate="0.5", bias_input=-1)
    assert cornell.batch_step()[1] == Fraction(1, 4)  # (0,0) fires wrongly: error −1 on input −1


def test_markdown_steps_with_notes_stay_one_per_line():
    from symnn.output.refresher import render_refresher

    md = render_refresher(train_perceptron(*gate("and")), "md")
    steps = [line for line in md.splitlines() if line.startswith("- $")]
    assert steps and all(line.count(" — ") == 1 for line in steps)
    assert any("y − ŷ = -1" in line for line in steps)


def test_bias_column_names_the_bias_alike_in_steps_table_and_start():
    from symnn.output.refresher import render_refresher

    run = train_perceptron(*gate("or"), learning_rate="0.5", bias_input=-1, bias_column="last")
    md = render_refresher(run, "md")
    assert "$w_{3} = 0$" in md and "new $w_{3}$" in md and r"\mathbf{x} - w_{3}" in md
    assert "- $w_{3} = 0.5$" in md  # a worked update
    assert "$b = " not in md and "new $b$" not in md
    plain = render_refresher(train_perceptron(*gate("or")), "md")
    assert "- $b = " in plain and "new $b$" in plain  # without a bias column it stays b


@pytest.mark.parametrize("fmt", ["text", "md", "tex"])
def test_a_bias_column_leaves_no_stray_b_anywhere_in_the_document(fmt):
    """One bias name throughout: with Cornell's w3 on x3 = −1 the convention, the sums, the
    stopping criterion and the figure's note all say w3, never b."""
    import re

    from symnn.output.refresher import render_refresher

    run = train_perceptron(*gate("or"), learning_rate="0.5", bias_input=-1, bias_column="last")
    out = (
        render_refresher(run, fmt, figures="inline") if fmt == "tex" else render_refresher(run, fmt)
    )
    words = re.sub(r"\\[A-Za-z]+", " ", out)  # LaTeX commands are not prose (\mathbf, \begin)
    stray = [
        line for line in words.splitlines() if re.search(r"(?<![A-Za-z_])b(?![A-Za-z_])", line)
    ]
    assert not stray, stray
    if fmt != "tex":  # (LaTeX escapes the minus sign)
        assert "w·x − w3 ≥ 0" in out and "updates w and w3" in out
    else:
        assert r"The line $\mathbf{w}\cdot\mathbf{x} - w_{3} = 0$" in out
    plain = render_refresher(train_perceptron(*gate("or")), fmt)
    assert "updates w and b" in plain  # without a bias column it stays b


def test_the_plotted_line_of_a_cornell_run_is_its_boundary_and_names_w3():
    """The --plot line is w·x − w3 = 0 (the bias weighs x3 = −1), not w·x + w3 = 0."""
    import numpy as np

    from symnn.training.plots.perceptron import perceptron_figure

    run = train_perceptron(*gate("or"), learning_rate="0.5", bias_input=-1, bias_column="last")
    axes = perceptron_figure(run).axes[0]
    line = axes.lines[0]
    assert np.allclose(line.get_ydata(), 1 - line.get_xdata())  # ½x1 + ½x2 − ½ = 0
    assert line.get_label() == "w·x − w3 = 0" and "w3 = 0.5" in axes.get_title()


def test_the_figure_note_names_the_threshold_the_line_is_drawn_at():
    """Wikipedia's NAND (θ = 0.5): the panels draw w·x + w0 = θ, and the note says so."""
    from symnn.output.refresher import render_refresher

    run = train_perceptron(
        *gate("nand"), learning_rate="0.1", theta="0.5", fires="gt", bias_column="first"
    )
    tex = render_refresher(run, "tex", figures="inline")
    assert r"The line $\mathbf{w}\cdot\mathbf{x} + w_{0} = 0.5$" in tex
