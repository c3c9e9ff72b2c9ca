"""Documents from derivations: content, notation, worked numbers, layout and determinism."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

from symnn.codegen.element import compile_gradients
from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.engine import derive
from symnn.engine.element import backprop_for
from symnn.engine.values import Values, point, worked_numbers
from symnn.output.document import render_derivation
from symnn.output.layout import visible_width
from symnn.output.numbers import Worked
from symnn.output.render import escape_markdown
from symnn.rules.losses import LOSSES
from symnn.spec.network import Data, Dense, Network
from tests.helpers import ELEMENTWISE, evaluate, output_activation_for
from tests.render_cases import ROOT, matrix_derivation, softmax_net, two_two_two

W5, W1 = nt.w(2, 1, 1), nt.w(1, 1, 1)  # w5 and w1 of the classic worked example


def test_worked_example_matches_the_classic_hand_calculation():
    net = two_two_two()
    numbers = worked_numbers(derive(net, "all"), net)
    assert numbers.forward[-1].lhs == nt.LOSS
    assert numbers.forward[-1].value == pytest.approx(0.298371109, abs=1e-9)
    updates = {u.theta: u for u in numbers.updates}
    assert updates[W5].gradient == pytest.approx(0.082167041, abs=1e-9)
    assert updates[W5].new == pytest.approx(0.35891648, abs=1e-8)
    assert updates[W1].gradient == pytest.approx(0.000438568, abs=1e-9)
    assert updates[W1].new == pytest.approx(0.149780716, abs=1e-9)


def test_worked_numbers_appear_in_the_document():
    net = two_two_two()
    text = render_derivation(derive(net, "all"), "article", "neuron", numeric=True, digits=9)
    for number in ("0.298371109", "0.0821670406", "0.35891648", "0.149780716"):
        assert number in text
    # w5's chain rule with each factor's number, as the hand calculation writes it.
    assert "0.74136507 \\cdot 0.186815602" in text
    assert "{w_{5}}^{+} & = w_{5} - \\eta" in text
    short = render_derivation(derive(net, "W1[1,1]"), "md", numeric=True, digits=6)
    assert "0.000438568" in short and "0.149781" in short


def _first_sample(net) -> Values:
    bp = backprop_for(net)
    X, Y = net.data.arrays()
    return Values(bp, point(bp.graph, net.given_params(), X[0], Y[0]))


def _steps_agree(net, wrt):
    derivation = derive(net, wrt)
    values = _first_sample(net)
    for step in derivation.steps:
        assert values.of(step.lhs) == pytest.approx(values.of(step.rhs), rel=1e-9, abs=1e-12)
    return derivation


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "softplus"])
def test_every_step_holds_numerically_at_the_spec_point(hidden):
    # Each step's two sides evaluated independently must agree: a wrong step cannot hide.
    net = softmax_net()
    layers = [Dense(4, hidden, weights=net.layers[0].weights, bias=net.layers[0].bias)]
    net = Network(3, [*layers, *net.layers[1:]], "cross_entropy", data=net.data, learning_rate=0.1)
    _steps_agree(net, "all")


def _small(hidden: str, loss: str) -> Network:
    targets = LOSSES[loss].targets
    y = [[0.3, -0.7]]
    if "distributions" in targets:
        y = [[0.0, 1.0]]
    elif "probabilities" in targets:
        y = [[0.2, 0.9]]
    elif "-1 or +1" in targets:
        y = [[1.0, -1.0]]
    layers = [
        Dense(2, hidden, weights=[[0.3, -0.4], [0.5, 0.2]], bias=[0.1, -0.2]),
        Dense(2, output_activation_for(loss), weights=[[0.6, -0.1], [0.2, 0.7]], bias=[0.0, 0.1]),
    ]
    return Network(2, layers, loss, data=Data([[0.5, -1.0]], y), learning_rate=0.1)


# Every registered rule is enrolled: each hidden activation, and each loss (behind a ReLU).
RULE_CASES = [(h, "squared_error") for h in ELEMENTWISE] + [("relu", loss) for loss in LOSSES]


@pytest.mark.parametrize(("hidden", "loss"), RULE_CASES)
def test_every_rule_renders_a_worked_example_whose_steps_hold(hidden, loss):
    net = _small(hidden, loss)
    text = render_derivation(_steps_agree(net, "all"), "md", numeric=net)
    assert "One step of gradient descent" in text


def test_worked_gradients_equal_the_generated_code_over_a_batch():
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(3, 3)), np.eye(3)
    net = softmax_net(data=Data(X.tolist(), Y.tolist()))
    derivation = derive(net, "all")
    numbers = worked_numbers(derivation, net)
    loss, grads = compile_gradients(net).function(net.given_params(), X, Y)
    updates = {u.theta: u for u in numbers.updates}
    means = {theta: mean for theta, _, mean in numbers.gradients}
    bp = backprop_for(net)
    for p in bp.graph.parameters:
        for index, symbol in p.entries():
            assert means[symbol] == pytest.approx(grads[p.name][index], rel=1e-9)
            assert updates[symbol].gradient == means[symbol]
            expected = net.given_params()[p.name][index] - 0.1 * grads[p.name][index]
            assert updates[symbol].new == pytest.approx(expected, rel=1e-9)
    samples = [
        Values(bp, point(bp.graph, net.given_params(), x, y)) for x, y in zip(X, Y, strict=True)
    ]
    assert np.mean([v.values[nt.LOSS] for v in samples]) == pytest.approx(loss, rel=1e-12)
    text = render_derivation(derivation, "md", numeric=net)
    assert "first of the 3 samples" in text and "mean over the samples" in text


def test_fragment_rows_state_the_rule_and_repeat_no_lhs():
    text = render_derivation(derive(two_two_two(), "W1[1,1]"), "tex")
    assert "\\begin{align*}" in text and "\\documentclass" not in text
    assert "&& \\text{chain rule}" in text
    assert "&& \\text{multivariate chain rule (sum over every path)}" in text
    # δ = ∂L/∂z, then the chain rule for the same δ: the second line starts at "&=".
    assert re.search(r"\\delta\^\{\(1\)\}_\{1\} & = \\frac\{\\partial L\}.*\n & = ", text)
    assert "w^{(1)}_{11} x_{1} + w^{(1)}_{12} x_{2} + b^{(1)}_{1}" in text  # w x + … + b


def test_content_forward_pass_loss_deltas_jacobians_results():
    text = render_derivation(derive(softmax_net(), "all", expand=False), "article")
    assert "Forward pass and loss" in text and "cross-entropy" in text
    assert "Output layer: error terms" in text and "Hidden layer 1: error terms" in text
    assert "Computed once here and reused in" in text
    # The softmax Jacobian is full, with −a_i a_j off the diagonal.
    assert "- a^{(3)}_{1} a^{(3)}_{2}" in text and "\\begin{matrix}" in text
    assert "\\text{derivative of the activation}" in text


def test_expanded_results_shown_when_short_and_named_when_not():
    net = two_two_two()
    short = render_derivation(derive(net, "W2[1,1]", expand=True), "tex")
    assert "Written out in inputs, targets and parameters" in short
    assert "\\sigma\\left(w^{(1)}_{11} x_{1} + w^{(1)}_{12} x_{2} + b^{(1)}_{1}\\right)" in short
    long = render_derivation(derive(net, "W1[1,1]", expand=True), "tex")
    assert "is too long to print usefully" in long


def test_notations_and_partial_styles():
    d = derive(two_two_two(), "W2[1,1]")
    layered = render_derivation(d, "md", "layered")
    neuron = render_derivation(d, "md", "neuron", partial="slash")
    assert "w^{(2)}_{11}" in layered and "\\frac{\\partial L}" in layered
    assert "joins unit $k$ of layer $l-1$" in layered and "Index order: " in layered
    assert "w_{5}" in neuron and "\\mathrm{net}_{o_{1}}" in neuron
    assert "\\partial E_{\\mathrm{total}} / \\partial w_{5}" in neuron
    assert "numbered layer by layer" in neuron


def test_markdown_uses_only_the_katex_subset():
    text = render_derivation(derive(softmax_net(), "all"), "md", numeric=True)
    for banned in ("\\begin{align*}", "\\allowdisplaybreaks", "\\paragraph", "\\uncover", "\\tag"):
        assert banned not in text
    assert text.count("$$") % 2 == 0
    assert text.count("\\begin{aligned}") == text.count("\\end{aligned}") > 5
    blocks = re.findall(r"\$\$\n(.*?)\n\$\$", text, re.DOTALL)
    assert blocks and all("\n\n" not in b for b in blocks)  # a blank line ends a $$ block


def test_long_sums_break_into_lines_that_fit():
    net = Network(12, [Dense(2, "sigmoid"), Dense(1, "sigmoid")])
    text = render_derivation(derive(net, "W1[1,1]"), "article")
    start = text.index("z^{(1)}_{1} & =")
    z = text[start : text.index("z^{(1)}_{2} & =")]
    assert "&\\quad + w^{(1)}_{1,12} x_{12} + b^{(1)}_{1}" in z
    lines = [line.split("&&")[0] for line in z.split("\\\\")]
    assert len(lines) >= 3 and all(visible_width(line) < 50 for line in lines)


def test_beamer_reveals_one_step_at_a_time():
    text = render_derivation(derive(two_two_two(), "W2[1,1]"), "beamer", numeric=True)
    assert "\\documentclass[11pt]{beamer}" in text
    assert "\\uncover<1->{" in text and "\\uncover<3->{" in text
    assert "\\pause" not in text  # \pause does not work inside amsmath environments


def test_a_matrix_level_derivation_renders_through_the_same_templates():
    d = matrix_derivation()
    for fmt in ("tex", "article", "beamer", "md"):
        text = render_derivation(d, fmt)
        assert "\\delta_{2} a_{1}^{T}" in text and "\\odot" in text
    with pytest.raises(SymnnError, match="numbers at the matrix level need the network"):
        render_derivation(d, "md", numeric=True)  # no network, so no batch to work


def test_jupyter_displays():
    d = derive(two_two_two(), "W2[1,1]")
    latex = d._repr_latex_()
    assert latex.startswith("$$\n\\begin{aligned}") and latex.rstrip().endswith("$$")
    assert "\\frac{\\partial L}{\\partial w^{(2)}_{11}}" in latex
    assert d._repr_markdown_().startswith("# Backpropagation")


def test_user_templates_come_first(tmp_path):
    template = "custom ((( title|md ))) ((( results.local[0].lhs|tex )))"
    (tmp_path / "derivation.md.j2").write_text(template)
    text = render_derivation(derive(two_two_two(), "W2[1,1]"), "md", template_dir=tmp_path)
    expected = r"custom Backpropagation: w⁽²⁾₁₁ \frac{\partial L}{\partial w^{(2)}_{11}}"
    assert text == expected


def test_bad_choices_are_clear_errors():
    d = derive(two_two_two(), "W2[1,1]")
    with pytest.raises(SymnnError, match="unknown format 'docx'"):
        render_derivation(d, "docx")
    with pytest.raises(SymnnError, match="digits: expected"):
        render_derivation(d, "md", digits=0)
    with pytest.raises(SymnnError, match="unknown notation"):
        render_derivation(d, "md", "greek")
    bare = Network(2, [Dense(1, "sigmoid")])
    with pytest.raises(SymnnError, match="data: expected"):
        render_derivation(derive(bare, "all"), "md", numeric=True)


def test_hostile_name_is_escaped_text():
    name = r"\input{/etc/passwd} $ % # _ & ~ ^"
    d = derive(softmax_net(name=name), "W3[1,1]")
    tex = render_derivation(d, "article")
    assert r"\textbackslash{}input\{/etc/passwd\} \$ \% \# \_ \& \textasciitilde{}" in tex
    assert "\\input{/etc" not in tex
    md = render_derivation(d, "md")
    assert r"&#92;input\{/etc/passwd\} \$ % \# \_ &amp; \~ ^" in md
    assert "\\input" not in md


def test_markdown_headings_keep_parentheses_and_never_open_mathjax():
    # &#40;1, 1&#41; in a heading read as entities in some viewers; a backslash is what could
    # open \( or \[ in Jupyter's MathJax, so it alone becomes an entity.
    assert escape_markdown("along (1, 1)") == "along (1, 1)"
    assert "\\(" not in escape_markdown("\\(x\\) \\[y\\]")


def test_printed_numbers_are_the_expressions_values():
    # The forward value printed for each unit is the definition evaluated at the given point.
    net = two_two_two()
    worked = Worked(worked_numbers(derive(net, "W2[1,1]"), net), digits=12)
    values = dict(_first_sample(net).values)
    for line in worked.forward():
        assert float(line.value.name) == pytest.approx(evaluate(line.rhs, values), rel=1e-11)
    assert sp.default_sort_key(line.lhs) == sp.default_sort_key(nt.LOSS)


RENDER_SCRIPT = """
import sys
sys.path.insert(0, {root!r})
from symnn.engine import derive
from symnn.output.document import render_derivation
from tests.render_cases import softmax_net, two_two_two
out = render_derivation(derive(two_two_two(), "all"), "article", "neuron", numeric=True)
out += render_derivation(derive(softmax_net(), "all"), "md", numeric=True)
sys.stdout.write(out)
"""


def test_output_is_identical_across_hash_seeds():
    outputs = set()
    for seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run(
            [sys.executable, "-c", RENDER_SCRIPT.format(root=str(ROOT))],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_rendering_builds_the_reverse_walk_once(monkeypatch):
    # Documents receive their Jacobians and worked numbers as data: deriving a 2-2-2 network and
    # rendering it with numbers builds the reverse walk once (it was 1 + 6, one per Jacobian).
    import symnn.engine.element as element

    builds = []

    class Counted(element.Backprop):
        def __init__(self, graph) -> None:
            builds.append(graph)
            super().__init__(graph)

    monkeypatch.setattr(element, "Backprop", Counted)
    element._cached.cache_clear()
    derivation = derive(two_two_two(), "all")
    assert len(builds) == 1
    for fmt in ("tex", "md", "beamer"):
        text = render_derivation(derivation, fmt, numeric=True)
        assert "0.298371" in text and "Layer 2, activations by weighted inputs" in text
    assert len(builds) == 1
    element._cached.cache_clear()  # no counted walk outlives the test
