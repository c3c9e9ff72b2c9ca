"""Issue 18's document content: σ′ and tanh′ derived from their definitions, softmax with
cross-entropy carried to a − y at the element level, worked numbers for a chosen sample, and
``derive --json``. Each derived line is checked numerically, not only as text."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from symnn.cli.main import main
from symnn.core import notation as nt
from symnn.engine import derive
from symnn.engine.activation_proofs import PROOFS, Z, activation_proof, meaning
from symnn.output.document import render_derivation
from symnn.spec.network import Data, Dense, Network

SPEC = """
name = "two samples"
inputs = 2
loss = "squared_error"
learning_rate = 0.5

[[layers]]
units = 2
activation = "sigmoid"
weights = [[0.15, 0.20], [0.25, 0.30]]
bias = [0.35, 0.35]

[[layers]]
units = 1
activation = "tanh"
weights = [[0.40, 0.45]]
bias = [0.60]

[data]
x = [[0.05, 0.10], [0.7, -0.3]]
y = [[0.01], [0.99]]
"""


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "two.toml"
    path.write_text(SPEC)
    return str(path)


def _cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", sorted(PROOFS))
def test_every_step_of_an_activation_proof_is_the_derivative(name):
    proof = activation_proof(name)
    definition, *steps = proof.steps
    assert definition.rule == "definition"
    derivative = sp.diff(meaning(definition.rhs), Z)
    for step in steps:
        for z in (-2.3, -0.4, 0.0, 0.9, 3.1):
            got = float(meaning(step.rhs).subs(Z, z))
            assert got == pytest.approx(float(derivative.subs(Z, z)), abs=1e-12), step
    # It ends in the named form the backward pass uses: σ(1 − σ), 1 − tanh².
    assert steps[-1].rule == "substitution"
    assert not steps[-1].rhs.has(sp.exp)


def test_the_proofs_come_first_and_only_on_request():
    net = Network(1, [Dense(1, "sigmoid"), Dense(1, "tanh")], "mse")
    d = derive(net, "all")
    plain = render_derivation(d, "md")
    shown = render_derivation(d, "md", activation_proofs=True)
    assert "Derivatives of the activations" not in plain
    start = shown.index("Derivatives of the activations")
    assert start < shown.index("Output layer: error terms")
    body = shown[start:]
    assert r"\sigma'(z) & = \frac{d}{dz}" in body and r"1 - \tanh^{2}(z)" in body
    assert r"\text{quotient rule }" in body
    tex = render_derivation(d, "tex", activation_proofs=True)
    assert r"\paragraph{The logistic sigmoid, $\sigma'(z)$}" in tex


def test_softmax_cross_entropy_is_carried_to_a_minus_y():
    net = Network(2, [Dense(3, "softmax")], "cross_entropy")
    d = derive(net, "W1[1,1]")
    delta = next(s for s in d.sections if s.subject == nt.delta(1, 1))
    rules = [s.rule for s in delta.steps]
    assert rules[-4:] == ["substitution", "cancel_activation", "distribute", "targets_sum_to_one"]
    assert delta.steps[-1].rhs == nt.a(1, 1) - nt.y(1)
    rng = np.random.default_rng(3)
    z = rng.normal(size=3)
    a = np.exp(z) / np.exp(z).sum()
    for y in (np.array([0.0, 1.0, 0.0]), rng.dirichlet(np.ones(3))):
        values = {nt.a(1, k + 1): a[k] for k in range(3)} | {nt.y(k + 1): y[k] for k in range(3)}
        for step in delta.steps[-4:]:
            got = float(step.rhs.doit().subs(values))
            assert got == pytest.approx(a[0] - y[0], abs=1e-12), step.rule
    # Before the targets' sum is used, the line holds for any targets: −y₁ + a₁ Σ y.
    y = np.array([0.2, 0.7, 0.4])
    values = {nt.a(1, k + 1): a[k] for k in range(3)} | {nt.y(k + 1): y[k] for k in range(3)}
    before = float(delta.steps[-2].rhs.subs(values))
    assert before == pytest.approx(-y[0] + a[0] * y.sum())
    assert before != pytest.approx(a[0] - y[0])
    text = render_derivation(d, "md")
    assert r"- \frac{y_{2}}{a^{(1)}_{2}} \left(- a^{(1)}_{1} a^{(1)}_{2}\right)" in text
    assert r"a^{(1)}_{1} - y_{1} && \text{the targets sum to one}" in text


def test_a_chosen_sample_is_worked_and_the_gradient_stays_the_mean(spec, capsys):
    code, first, _ = _cli(capsys, "derive", spec, "--numeric", "--format", "md", "--wrt", "W2")
    assert code == 0
    code, second, _ = _cli(
        capsys, "derive", spec, "--numeric", "--format", "md", "--wrt", "W2", "--sample", "2"
    )
    assert code == 0
    assert "shown for the first of the 2 samples" in first
    assert "shown for sample 2 of the 2 samples" in second
    assert "x_{1} = 0.7" in second and "x_{1} = 0.05" in first
    mean = second.split("Gradients, the mean over the samples")[1]
    assert mean == first.split("Gradients, the mean over the samples")[1]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--numeric", "--sample", "3", "--format", "md"], "expected a number from 1 to 2"),
        (["--sample", "2", "--format", "md"], "--sample: expected together with --numeric"),
        (["--derive-activations"], "--derive-activations: expected --format"),
    ],
)
def test_sample_and_proof_flags_refuse_clearly(spec, capsys, extra, message):
    code, _, err = _cli(capsys, "derive", spec, *extra)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_derive_activations_flag(spec, capsys):
    code, out, _ = _cli(capsys, "derive", spec, "--format", "md", "--derive-activations")
    assert code == 0
    assert r"\sigma'(z)" in out and r"\tanh'(z)" in out


def test_derive_json_holds_steps_results_and_numbers(spec, capsys):
    code, out, _ = _cli(capsys, "derive", spec, "--wrt", "W2[1,1]", "--json", "--numeric")
    assert code == 0
    data = json.loads(out)
    assert data["level"] == "element"
    rules = [s["rule"] for section in data["sections"] for s in section["steps"]]
    assert "chain_rule" in rules and "loss_derivative" in rules
    assert data["results"][0]["lhs"] == "∂L/∂w_2_1_1"
    numbers = data["numeric"]
    assert numbers["samples"] == 2 and numbers["sample"] == 1
    (gradient,) = numbers["gradients"]
    assert gradient["mean"] == pytest.approx(np.mean(gradient["per_sample"]))
    update = numbers["updates"][0]
    assert update["new"] == pytest.approx(update["old"] - 0.5 * update["gradient"])
    # The numbers are the document's: the same gradient as the derivation's code computes.
    from symnn.codegen.element import compile_gradients

    net = _two_sample_network()
    X, Y = net.data.arrays()
    _, grads = compile_gradients(net)(net.given_params(), X, Y)
    assert gradient["mean"] == pytest.approx(grads["W2"][0, 0], rel=1e-12)


def test_derive_json_refuses_a_format(spec, capsys):
    code, _, err = _cli(capsys, "derive", spec, "--json", "--format", "md")
    assert code == 2 and "--json" in err


def _two_sample_network() -> Network:
    return Network(
        2,
        [
            Dense(2, "sigmoid", weights=[[0.15, 0.20], [0.25, 0.30]], bias=[0.35, 0.35]),
            Dense(1, "tanh", weights=[[0.40, 0.45]], bias=[0.60]),
        ],
        "squared_error",
        data=Data([[0.05, 0.10], [0.7, -0.3]], [[0.01], [0.99]]),
        learning_rate=0.5,
    )


def _chapter_rows() -> list[tuple[str, str]]:
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("### The course, chapter by chapter")[1].split("\n## ")[0]
    rows = re.findall(r"^\| [^|]+ \| `(symnn [^`]+)` \| `([^`]+)` \|$", table, re.M)
    assert len(rows) == 10  # eight chapters (the small network twice: Mazur's too), the refresher
    return rows


@pytest.mark.parametrize(("command", "file"), _chapter_rows())
def test_each_chapter_command_prints_its_gallery_file(command, file, tmp_path, capsys):
    import shlex
    from pathlib import Path

    argv = shlex.split(command)[1:]
    at = argv.index("-o") + 1
    out = tmp_path / argv[at]
    argv[at] = str(out)
    assert out.name == Path(file).name
    code, _, err = _cli(capsys, *argv)
    assert code == 0, err
    gallery = Path(__file__).resolve().parent.parent / "derivations" / file
    expected = gallery.read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == expected
    assert ("![The " in expected) == bool(list(tmp_path.glob("*.svg")))
    for svg in tmp_path.glob("*.svg"):  # the figure written beside it
        assert svg.read_bytes() == (gallery.parent / svg.name).read_bytes()


def test_calc_gradient_json_includes_the_value_at_the_point(capsys):
    code, out, _ = _cli(capsys, "calc", "gradient", "x**2 + 4*y**2", "--at", "1,1", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["values"]["value"] == 5 and data["exact"]["value"] == "5"  # f(1, 1) = 1 + 4
    code, out, _ = _cli(capsys, "calc", "gradient", "x**2*y", "--at", "3/2,-2", "--json")
    assert json.loads(out)["exact"]["value"] == "-9/2"


GOODFELLOW = """
name = "Goodfellow's XOR solution"
inputs = 2
loss = "mse"
[[layers]]
units = 2
activation = "relu"
weights = [[1, 1], [1, 1]]
bias = [0, -1]
[[layers]]
units = 1
activation = "identity"
weights = [[1, -2]]
bias = [0]
[data]
x = [[0, 0], [0, 1], [1, 0], [1, 1]]
y = [[0], [1], [1], [0]]
"""


def test_check_on_a_relu_kink_says_so(tmp_path, capsys):
    spec = tmp_path / "goodfellow.toml"
    spec.write_text(GOODFELLOW)
    code, out, _ = _cli(capsys, "check", spec)
    assert code == 1  # finite differences do disagree there
    assert "on a kink: z_1_2 = 0 at samples 2, 3" in out and "ReLU'(0) = 0" in out
    assert "on a kink: z_1_1 = 0 at sample 1;" in out
    assert out.strip().endswith("(at a kink of the activation: see above)")
    code, out, _ = _cli(capsys, "check", spec, "--json")
    notes = json.loads(out)["notes"]
    assert len(notes) == 2 and all(n.startswith("on a kink: ") for n in notes)
    # Off the kink the same network passes, with no note.
    spec.write_text(GOODFELLOW.replace("bias = [0, -1]", "bias = [0.25, -0.75]"))
    code, out, _ = _cli(capsys, "check", spec)
    assert code == 0 and "kink" not in out


def test_the_kronecker_delta_is_a_bracket_never_a_delta():
    """Issue 18: [i = k] cannot be read as an error term δ⁽ˡ⁾."""
    net = Network(2, [Dense(3, "softmax")], "cross_entropy")
    for fmt in ("md", "tex"):
        text = render_derivation(derive(net, "W1[1,1]"), fmt)
        assert r"s_i([i = k] - s_k)" in text and r"\delta_{ik}" not in text
