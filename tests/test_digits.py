"""``--digits`` is honoured everywhere (issue 18): at 3 digits no number printed has more.

Every decimal in each output is read back; with --digits 3 none may carry more than three
significant digits, while the default output does (so the option is what changed them).
"""

from __future__ import annotations

import re

import pytest

from symnn.spec.specfile import load_spec
from symnn.training.worked_step import worked_step
from tests.cli_harness import run_cli

DECIMAL = re.compile(r"(?<![\w.])-?\d+\.\d+")


def significant(text: str) -> int:
    """Significant digits of a decimal as printed: 0.00123 has 3, 1.20 has 3."""
    digits = text.lstrip("-").replace(".", "").lstrip("0")
    return len(digits)


def widest(document: str) -> int:
    return max(significant(m) for m in DECIMAL.findall(document))


def test_significant():
    assert [significant(t) for t in ("0.00123", "-1.25", "0.5", "12.0")] == [3, 3, 1, 3]


def _derive(*extra: str) -> str:
    argv = ["derive", "two_two_two", "--numeric", "--wrt", "W1[1,1]", *extra]
    result = run_cli(argv, seconds=120)
    assert result.code == 0, result.describe()
    return result.stdout


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_derive_documents(fmt):
    assert widest(_derive("--format", fmt)) > 3
    assert widest(_derive("--format", fmt, "--digits", "3")) <= 3


def test_derive_json():
    assert widest(_derive("--json")) > 3  # scripts get full precision unless they ask
    assert widest(_derive("--json", "--digits", "3")) <= 3


def test_derive_mazur_and_matrix_batch():
    assert widest(_derive("--format", "md", "--notation", "mazur", "--digits", "3")) <= 3
    argv = ["derive", "two_two_two", "--level", "both", "--numeric", "--wrt", "W1[1,1]"]
    result = run_cli([*argv, "--format", "md", "--digits", "3"], seconds=120)
    assert result.code == 0, result.describe()
    assert widest(result.stdout) <= 3


def test_circuit():
    result = run_cli(["derive", "two_two_two", "--format", "circuit", "--digits", "3"], 120)
    assert result.code == 0, result.describe()
    labels = re.findall(r"\{\$(-?[\d.]+)\$\}", result.stdout)  # the values and gradients
    assert labels and max(map(significant, labels)) <= 3


def test_train_worked_step(tmp_path):
    network = load_spec("examples/two_two_two.toml")
    assert widest(worked_step(network, fmt="md")) > 3
    assert widest(worked_step(network, fmt="md", digits=3)) <= 3
    path = tmp_path / "step.md"
    argv = ["train", "two_two_two", "--steps", "2", "--quiet", "--worked-step", str(path)]
    result = run_cli([*argv, "--digits", "3"], seconds=120)
    assert result.code == 0, result.describe()
    assert widest(path.read_text()) <= 3


def test_check_table():
    # A tolerance nothing meets lists every entry with its two numbers, at full width by default.
    argv = ["check", "two_two_two", "--tolerance", "1e-30", "--no-autodiff"]
    default = run_cli(argv, seconds=120)
    assert default.code == 1, default.describe()
    assert widest(default.stdout) > 3
    result = run_cli([*argv, "--digits", "3"], seconds=120)
    assert result.code == 1, result.describe()
    assert widest(result.stdout) <= 3 and "finite differences" in result.stdout
    assert run_cli([*argv, "--digits", "0"], seconds=120).clean_error


def test_figure_edge_labels():
    from dataclasses import replace

    from symnn.engine.element import derive
    from symnn.output.document import render_derivation

    net = load_spec("examples/two_two_two.toml")
    first = replace(net.layers[0], weights=[[0.123456, 0.2], [0.25, 0.3]])
    net = replace(net, layers=(first, net.layers[1]))
    derivation = derive(net, "W1[1,1]")

    def picture(digits: int) -> str:
        text = render_derivation(derivation, "tex", numeric=True, figures="inline", digits=digits)
        return text.split(r"\begin{tikzpicture}", 1)[1].split(r"\end{tikzpicture}", 1)[0]

    assert "0.123456" in picture(6)
    assert "0.123" in picture(3) and "0.1235" not in picture(3)
