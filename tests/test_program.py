"""Programs as computational graphs: parsing, gates, the backward pass, numbers, outputs, checks.

Every gradient is checked three ways on random programs: against ``sympy.diff`` of the inlined
expression, against central finite differences of the generated NumPy code, and against HIPS
autograd running an independent forward pass of the same program.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given
from hypothesis import strategies as st

from symnn.codegen.program import compile_program, program_source
from symnn.core.errors import SymnnError
from symnn.core.functions import to_elementary
from symnn.core.program import parse_program
from symnn.engine.program import program_graph, run_program
from symnn.output.circuit import layout, render_circuit
from symnn.output.pdf import compile_pdf, pdflatex
from symnn.output.program import render_program

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def load(name: str, **options):
    return parse_program((EXAMPLES / name).read_text(), **options)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "symnn", *map(str, args)], capture_output=True, text=True, cwd=ROOT
    )


# -- micrograd and CS231n: the published numbers ---------------------------------------------


def test_micrograd_readme_numbers_and_every_intermediate():
    run = run_program(load("micrograd.txt"))
    values = {s.name: v for s, v in run.values.items()}
    grads = {s.name: g for s, g in run.gradients.items()}
    assert round(float(values["g"]), 4) == 24.7041
    assert round(float(grads["a"]), 4) == 138.8338
    assert round(float(grads["b"]), 4) == 645.5773
    # every intermediate, recomputed here by hand from micrograd's code
    a, b = -4.0, 2.0
    c = a + b
    d = a * b + b**3
    c2 = c + c + 1
    c3 = c2 + 1 + c2 + (-a)
    d2 = d + d * 2 + max(b + a, 0)
    d3 = d2 + 3 * d2 + max(b - a, 0)
    e = c3 - d3
    f = e**2
    g1 = f / 2
    g = g1 + 10 / f
    expected = dict(c=c, d=d, c2=c2, c3=c3, d2=d2, d3=d3, e=e, f=f, g1=g1, g=g)
    for name, value in expected.items():
        assert float(values[name]) == pytest.approx(value, abs=1e-12), name
    assert values["g"] == sp.Rational(2421, 98)  # exact
    assert grads["a"] == sp.Rational(47620, 343)


def test_the_command_prints_micrograds_numbers_as_micrograd_does():
    """`symnn graph examples/micrograd.txt`, no option: micrograd's :.4f numbers, exact ones too."""
    result = run_cli("graph", EXAMPLES / "micrograd.txt")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for line in (
        "g = 2421/98 ≈ 24.7041",
        "∂g/∂a = 47620/343 ≈ 138.8338",
        "∂g/∂b = 221433/343 ≈ 645.5773",
    ):
        assert line in out
    table = {line.split()[0]: line for line in out.split("\n\n")[1].splitlines()[1:]}
    # every intermediate's value (micrograd's forward pass) and gradient (its .grad)
    expected = {
        "c": ("-2", "-27.7668"),
        "d": ("0", "83.3003"),
        "c2": ("-3", "-13.8834"),
        "c3": ("-1", "-6.94169"),
        "d2": ("0", "27.7668"),
        "d3": ("6", "6.94169"),
        "e": ("-7", "-6.94169"),
        "f": ("49", "0.495835"),
        "g1": ("24.5", "1"),
    }
    for name, (value, gradient) in expected.items():
        cells = table[name].split()
        assert value in cells and cells[-1] == gradient, table[name]
    plain = run_cli("graph", EXAMPLES / "micrograd.txt", "--places", "0").stdout
    assert "∂g/∂a = 47620/343 ≈ 138.834\n" in plain


def test_cs231n_add_multiply_circuit():
    run = run_program(load("cs231n_add_mul.txt"))
    grads = {s.name: int(g) for s, g in run.gradients.items()}
    assert run.value("f") == -12
    assert grads == {"x": -4, "y": -4, "z": 3, "q": -4, "f": 1}


def test_staged_sigmoid_shows_every_gate_with_value_and_gradient():
    program = load("cs231n_sigmoid.txt", gates=True)
    gates = [n.gate for n in program.nodes]
    assert gates == ["*", "*", "+", "+", "*-1", "exp", "+1", "1/x"]
    run = run_program(program)
    by_gate = {n.gate: n.symbol for n in program.nodes}
    exp_gate, plus_one = by_gate["exp"], by_gate["+1"]
    assert run.values[exp_gate] == sp.exp(-1)
    assert float(run.values[plus_one]) == pytest.approx(1.3679, abs=1e-4)
    assert float(run.gradients[exp_gate]) == pytest.approx(-0.5344, abs=1e-4)
    assert float(run.gradients[plus_one]) == pytest.approx(-0.5344, abs=1e-4)
    grads = {s.name: round(float(g), 2) for s, g in run.gradients.items()}
    assert (grads["w0"], grads["x0"], grads["w1"], grads["x1"], grads["w2"]) == (
        -0.2,
        0.39,
        -0.39,
        -0.59,
        0.2,
    )
    assert float(run.value("f")) == pytest.approx(0.7311, abs=1e-4)


def test_max_gate_routes_to_the_larger_input_and_states_the_tie():
    run = run_program(load("max_tie.txt"))
    assert run.value("p") == run.value("z") == 3  # the tie
    assert run.gradient("p") == 2 and run.gradient("z") == 0  # all to the first argument
    text = render_program(run, "text")
    assert "At node m, tie: both inputs of max equal 3, so all goes to p." in text
    untied = run_program(parse_program("m = max(x, y); f = 2*m", "x=1, y=5"))
    assert untied.gradient("x") == 0 and untied.gradient("y") == 2


def test_the_whitelist_has_relu_max_min_step_and_abs():
    text = "x = -2\ny = 3\np = abs(x) + step(y) + min(x, y) + relu(y) + max(x, y)"
    run = run_program(parse_program(text))
    assert run.value("p") == 2 + 1 - 2 + 3 + 3
    # abs'(-2) = -1 and min routes to x: 0; step' = 0, relu'(3) = 1, max routes to y: 2
    assert (run.gradient("x"), run.gradient("y")) == (0, 2)
    gated = parse_program(text, gates=True)
    assert {"abs", "step", "min", "relu", "max"} <= {n.gate for n in gated.nodes}
    gated_run = run_program(gated)
    assert [gated_run.gradient(n) for n in "xy"] == [run.gradient(n) for n in "xy"]
    for name in ("abs", "step", "relu", "max", "min"):
        with pytest.raises(SymnnError, match=f"line 1, column 1: '{name}' names a function"):
            parse_program(f"{name} = 1")


def test_seed_gradient_scales_every_gradient():
    program = load("cs231n_add_mul.txt")
    seeded = run_program(program, seed="2.5")
    plain = run_program(program)
    for s in plain.symbols:
        assert seeded.gradients[s] == sp.Rational(5, 2) * plain.gradients[s]
    assert "given upstream gradient" in render_program(seeded, "text")


def test_backward_steps_run_in_reverse_topological_order_as_upstream_times_local():
    run = run_program(load("micrograd.txt"))
    program = run.program
    subjects = [s.subject.variables[0] for s in run.derivation.sections]
    assert subjects == [*(n.symbol for n in reversed(program.nodes)), *program.inputs]
    done: set = set()
    for section in run.derivation.sections:
        node = section.subject.variables[0]
        # a node's gradient is final before it is used: every node reading it came earlier
        for child in run.graph.children(node):
            assert child.symbol in done, (node, child.symbol)
        done.add(node)
        products = [s for s in section.steps if s.rule == "upstream_times_local"]
        if node in program.inputs:
            assert not products
            continue
        parents = run.graph.parents(run.graph.definition(node))
        assert len(products) == len(parents)  # one product per input of the gate
        for step, parent in zip(products, parents, strict=True):
            upstream, local = step.rhs.args
            assert upstream == run.gradients[node]
            assert local == to_elementary(
                sp.diff(to_elementary(run.graph.definition(node).expr), parent)
            ).xreplace(run.values)
    # the circuit on slides reveals the gradients node by node in the same order
    tikz = render_circuit(run, reveal=True)
    for k, node in enumerate(reversed(program.nodes), start=1):
        key = f"n{run.symbols.index(node.symbol)}"
        into = [line for line in tikz.splitlines() if line.rstrip(";").endswith(f"({key})")]
        assert into and all(f"visible on=<{k}->" in line for line in into), (node.symbol, into)
    beamer = render_program(run, "beamer")
    titles = re.findall(r"\\begin\{frame\}\{Node \$(.*?)\$\}", beamer)
    assert list(dict.fromkeys(titles)) == [
        "g",
        "g_{1}",
        "f",
        "e",
        "d_{3}",
        "d_{2}",
        "c_{3}",
        "c_{2}",
        "d",
        "c",
    ]


def test_gradients_add_at_forks():
    run = run_program(parse_program("y = x*x + 3*x", "x=2"))
    assert run.gradient("x") == 7
    gated = run_program(parse_program("y = x*x + 3*x", "x=2", gates=True))
    assert gated.gradient("x") == 7
    rules = [s.rule for s in gated.derivation.steps]
    assert "fork_sum" in rules


# -- the parser: errors name line and column --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a = 1\nb = a + q", "line 2, column 9: unknown name 'q'; known: a"),
        ("a = 1\nb = a\nb = 2*a", "line 3, column 1: 'b' is assigned again (first on line 2)"),
        ("a = 1\nc = a\nc += 1", "line 3, column 1: 'c' is assigned again with '+='"),
        (
            "a = 1\nb = c + a\nc = 2*a",
            "line 2, column 5: 'c' is used before its assignment on line 3",
        ),
        ("a = 1\nb = c + a\nc = b*a", "line 2, column 5: cycle: b -> c -> b"),
        ("a = 1\nb = b + a", "line 2, column 5: cycle: 'b' reads itself"),
        ("a = 1\nb = a.real", "line 2, column 5: expression 'a.real': not allowed: attribute"),
        ("a = 1\nimport os", "line 2, column 1: unsupported syntax: 'import'"),
        ("a = 1\nb = a % 2", "line 2, column 5: expression 'a % 2': not allowed: the operator '%'"),
        ("a = 1\nb = foo(a)", "line 2, column 5: expression 'foo(a)': unknown function 'foo'"),
        ("a = 1\nb = (a +", "line 2, column"),
        ("a = 1\n  b = a ^ 2 + zz", "not a program: unexpected indent"),
        ("a = 1\nb = a ^ 2 + zz", "line 2, column 13: unknown name 'zz'"),
        ("a = 1\nb = max(a)", "max takes 2 argument(s), found 1"),
        ("a = 1\nb, c = a, a", "line 2, column 1: unsupported syntax"),
        ("a = 1\na", "line 2, column 1: unsupported syntax: an expression without an assignment"),
        ("a = 1\nb = __import__('os')", "line 2, column 5"),
        ("a = 1\nexp = a", "line 2, column 1: 'exp' names a function or constant"),
    ],
)
def test_errors_name_line_and_column(text, message):
    with pytest.raises(SymnnError) as error:
        parse_program(text)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("b = a - 1; c = 1/b", "line 1, node c: not a finite real number at these inputs (zoo)"),
        ("c = log(a - 5)", "line 1, node c: not a finite real number"),
        ("c = sqrt(a - 3)", "line 1, node c: not a finite real number"),
        ("c = exp(exp(exp(10*a)))", "beyond floating point"),
    ],
)
def test_values_that_are_not_finite_reals_are_errors(text, message):
    with pytest.raises(SymnnError) as error:
        assert run_program(parse_program(text, "a=1")).gradients is None
    assert message in str(error.value)


def test_values_from_the_command_line_and_a_named_output():
    program = parse_program("c = a + b\nd = c*a\ne = d + 1", "a=1/2, b=2", output="d")
    assert program.output.name == "d" and [n.symbol.name for n in program.nodes] == ["c", "d"]
    assert program.values == (sp.Rational(1, 2), 2)
    with pytest.raises(SymnnError, match="'c' is computed here"):
        parse_program("a = 1\nc = a + 1", "c=3")
    with pytest.raises(SymnnError, match="does not use"):
        parse_program("a = 1\nc = a + 1", "q=3")
    with pytest.raises(SymnnError, match="output 'a': an input"):
        parse_program("a = 1\nc = a + 1", output="a")


def test_nodes_are_nodes_of_the_network_graph():
    graph = program_graph(load("micrograd.txt"))
    assert {d.role for d in graph.definitions} == {"program_value"}
    assert graph.loss.name == "g"
    assert [p.name for p in graph.parameters] == ["a", "b"]


# -- outputs ------------------------------------------------------------------------------------


def test_text_table_and_steps_show_exact_values_and_decimals():
    text = render_program(run_program(load("micrograd.txt"), digits=7), "text")
    assert "2421/98 ≈ 24.70408" in text
    assert "47620/343 ≈ 138.8338" in text
    assert "gradients add at forks" in text
    assert "chain rule: upstream gradient times local gradient" in text


def test_json_has_every_node():
    result = run_cli("graph", EXAMPLES / "micrograd.txt", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    nodes = {n["name"]: n for n in data["nodes"]}
    assert list(nodes) == ["a", "b", "c", "d", "c2", "c3", "d2", "d3", "e", "f", "g1", "g"]
    assert round(nodes["g"]["value"], 4) == 24.7041
    assert nodes["a"]["gradient_exact"] == "47620/343"
    assert nodes["e"]["inputs"] == ["c3", "d3"]


def test_cli_errors_are_one_line_exits():
    result = run_cli("graph", "-e", "a = 1\nb = a + q")
    assert result.returncode == 2
    assert result.stderr.strip() == ("symnn: error: line 2, column 9: unknown name 'q'; known: a")
    assert run_cli("graph").returncode == 2


def test_generated_code_reproduces_the_numbers(tmp_path):
    program = load("micrograd.txt")
    path = tmp_path / "micrograd_graph.py"
    path.write_text(program_source(program))
    code = (
        "import runpy, sys; ns = runpy.run_path(sys.argv[1]); "
        "v, g = ns['forward_backward'](-4.0, 2.0); print(v['g'], g['a'], g['b'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    ).stdout.split()
    run = run_program(program)
    expected = [run.value("g"), run.gradient("a"), run.gradient("b")]
    assert [float(x) for x in out] == pytest.approx([float(e) for e in expected], rel=1e-12)
    lines = program_source(program).splitlines()
    per_node = len(program.nodes) - 1 + len(program.inputs)  # the output's is the seed
    assert sum(line.strip().startswith("grad[") for line in lines) == per_node


def test_markdown_and_tex_carry_the_table_and_steps():
    run = run_program(load("cs231n_sigmoid.txt", gates=True), digits=4)
    md = render_program(run, "md")
    assert "| node | definition | value | gradient |" in md
    assert "e^{f_{5}}" in md and "0.3679" in md and "-0.5344" in md
    tex = render_program(run, "tex")
    assert "\\begin{tabular}" in tex and "tikz" not in tex


def test_circuit_labels_wires_with_values_above_and_gradients_below():
    run = run_program(load("cs231n_sigmoid.txt", gates=True))
    tikz = render_circuit(run, digits=2)
    assert tikz.count("node[value") == len(run.flows) + 1
    assert "{$\\exp$}" in tikz and "{$1/x$}" in tikz and "{$+1$}" in tikz
    assert "node[value, pos=0.5] {$0.37$} node[gradient, pos=0.5] {$-0.53$}" in tikz  # exp, +1
    revealed = render_circuit(run, reveal=True)
    assert "visible on=<1->" in revealed and "visible on=<8->" in revealed


def _tree_wires(run, plan):
    """(source, target) positions of the wires the layout draws as its tree."""
    wires = []
    for f in run.flows:
        if f.parent in run.program.inputs:
            wires.append((plan.leaves[f.parent, f.child], plan.gates[f.child]))
        elif plan.primary[f.parent] == f.child:
            wires.append((plan.gates[f.parent], plan.gates[f.child]))
    return wires


def _check_layout(run):
    plan = layout(run)
    places = [*plan.gates.values(), *plan.leaves.values()]
    for i, (x0, y0) in enumerate(places):  # nothing drawn on top of anything else
        for x1, y1 in places[i + 1 :]:
            assert x0 != x1 or abs(y0 - y1) >= 1, (x0, y0, y1)
    for d in run.graph.definitions:  # every gate left of every gate that reads it
        for c in run.graph.children(d.symbol):
            assert plan.gates[d.symbol][0] < plan.gates[c.symbol][0]
    wires = _tree_wires(run, plan)
    for (x0, _), (x1, _) in wires:
        assert x1 - x0 == 1  # the tree's wires join neighbouring columns
    for i, ((x0, y0), (_, y1)) in enumerate(wires):  # and never cross
        for (u0, v0), (_, v1) in wires[i + 1 :]:
            if x0 == u0:
                assert (y0 - v0) * (y1 - v1) >= 0


@pytest.mark.parametrize(
    ("name", "gates"),
    [("micrograd.txt", False), ("cs231n_sigmoid.txt", True), ("max_tie.txt", False)],
)
def test_circuit_layout_is_a_tree_without_crossings(name, gates):
    run = run_program(load(name, gates=gates))
    _check_layout(run)
    plan = layout(run)
    if name == "micrograd.txt":  # a and b are drawn before each of the five gates reading them
        assert sum(p.name == "a" for p, _ in plan.leaves) == 5
        assert plan.primary[sp.Symbol("f", real=True)].name == "g1"  # f -> g curves over g1
        tikz = render_circuit(run)
        assert "to[bend left=" in tikz and tikz.count("to[bend") == 1


def test_cli_formats(tmp_path):
    sigmoid = EXAMPLES / "cs231n_sigmoid.txt"
    circuit = run_cli("graph", sigmoid, "--gates", "--format", "circuit", "--digits", "2")
    assert circuit.returncode == 0, circuit.stderr
    assert circuit.stdout.startswith("% requires: tikz") and "{$\\exp$}" in circuit.stdout
    for fmt, marker in [("tex", "\\begin{tabular}"), ("md", "| node |"), ("beamer", "visible on")]:
        result = run_cli("graph", sigmoid, "--gates", "--format", fmt)
        assert result.returncode == 0 and marker in result.stdout, (fmt, result.stderr)
    seeded = run_cli(
        "graph", "-e", "f = w*x", "--at", "w=2,x=-1", "--seed-gradient", "0.5", "--json"
    )
    nodes = {n["name"]: n for n in json.loads(seeded.stdout)["nodes"]}
    assert nodes["w"]["gradient"] == -0.5 and nodes["x"]["gradient"] == 1.0
    named = run_cli("graph", EXAMPLES / "micrograd.txt", "--output-node", "e", "--json")
    assert json.loads(named.stdout)["output"] == "e"
    code = run_cli("graph", EXAMPLES / "micrograd.txt", "--format", "py")
    assert code.returncode == 0 and "def forward_backward(a, b, seed=1.0):" in code.stdout
    assert run_cli("graph", EXAMPLES / "micrograd.txt", "--format", "pdf").returncode == 2
    if pdflatex() is not None:
        out = tmp_path / "sigmoid.pdf"
        result = run_cli("graph", sigmoid, "--gates", "--format", "pdf", "-o", out)
        assert result.returncode == 0, result.stderr
        assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.skipif(pdflatex() is None, reason="pdflatex is missing")
@pytest.mark.parametrize("fmt", ["article", "beamer"])
def test_documents_with_circuits_compile(fmt):
    run = run_program(load("cs231n_sigmoid.txt", gates=True), digits=4)
    assert compile_pdf(render_program(run, fmt), timeout=240).startswith(b"%PDF")


@pytest.mark.skipif(pdflatex() is None, reason="pdflatex is missing")
@pytest.mark.parametrize(
    ("name", "gates", "fmt"),
    [
        ("micrograd.txt", False, "article"),
        ("micrograd.txt", False, "beamer"),
        ("cs231n_sigmoid.txt", True, "beamer"),
    ],
)
def test_documents_fit_the_page(name, gates, fmt, tmp_path):
    """No overfull box: the circuit is scaled to fit, the slides' rules sit in tags."""
    tex = render_program(run_program(load(name, gates=gates)), fmt)
    if fmt == "beamer":
        assert "\\tag*{" in tex and "&& \\text{upstream" not in tex
    (tmp_path / "doc.tex").write_text(tex, encoding="utf-8")
    subprocess.run(
        [pdflatex(), "-no-shell-escape", "-interaction=nonstopmode", "doc.tex"],
        cwd=tmp_path,
        capture_output=True,
        timeout=300,
        check=False,
    )
    log = (tmp_path / "doc.log").read_text(encoding="latin-1")
    assert (tmp_path / "doc.pdf").exists(), log[-2000:]
    wide = re.findall(r"Overfull \\[hv]box \((\d+\.?\d*)pt", log)
    assert not [w for w in wide if float(w) > 1.0], wide


# -- verification on random programs -------------------------------------------------------------

UNARY = ["exp", "tanh", "sigmoid", "relu", "abs", "sin", "log_sq"]
BINARY = ["+", "-", "*", "/", "max", "min"]


@st.composite
def programs(draw):
    """A random program of 2–3 inputs and 2–6 nodes, each reading one or two earlier names."""
    n_inputs = draw(st.integers(2, 3))
    names = [f"x{i}" for i in range(n_inputs)]
    values = {n: draw(st.integers(-20, 20)) / 10 for n in names}
    lines = []
    for k in range(draw(st.integers(2, 6))):
        a = draw(st.sampled_from(names))
        b = draw(st.sampled_from(names))
        if draw(st.booleans()):
            op = draw(st.sampled_from(UNARY))
            expr = f"log(1 + {a}**2)" if op == "log_sq" else f"{op}({a})"
        else:
            op = draw(st.sampled_from(BINARY))
            if op in ("max", "min"):
                expr = f"{op}({a}, {b})"
            elif op == "/":
                expr = f"{a} / (1 + {b}**2)"
            else:
                expr = f"{a} {op} {b}"
        if draw(st.booleans()):
            expr = f"{expr} + {draw(st.integers(-3, 3))}*{draw(st.sampled_from(names))}"
        name = f"n{k}"
        lines.append(f"{name} = {expr}")
        names.append(name)
    gates = draw(st.booleans())
    given = [f"{n} = {v}" for n, v in values.items()]
    return "\n".join(given + lines), values, gates


def _autograd_forward(program):
    """An independent forward pass in autograd.numpy, read from the program's own expressions."""
    import autograd.numpy as anp

    modules = [
        {
            "ReLU": lambda z: anp.maximum(z, 0.0),
            "Sigmoid": lambda z: 1 / (1 + anp.exp(-z)),
            "Maximum": lambda x, y: anp.where(x >= y, x, y),
            "Minimum": lambda x, y: anp.where(x <= y, x, y),
        },
        anp,
    ]
    inputs = list(program.inputs)

    def forward(x):
        env = dict(zip(inputs, [x[i] for i in range(len(inputs))], strict=True))
        for n in program.nodes:
            symbols = sorted(n.expr.free_symbols, key=sp.default_sort_key)
            f = sp.lambdify(symbols, n.expr, modules=modules)
            env[n.symbol] = f(*[env[s] for s in symbols])
        return env[program.output]

    return forward


def _smooth_at(program, point: dict) -> bool:
    """No kink (relu, abs, max, min) within 1e-3 of the point, so finite differences apply."""
    env = dict(point)
    for n in program.nodes:
        for atom in n.expr.atoms(sp.Function):
            name = type(atom).__name__
            if name in ("ReLU", "Abs", "Maximum", "Minimum"):
                args = [float(to_elementary(a).xreplace(env)) for a in atom.args]
                gap = abs(args[0]) if len(args) == 1 else abs(args[0] - args[1])
                if gap < 1e-3:
                    return False
        env[n.symbol] = sp.Float(float(to_elementary(n.expr).xreplace(env)), 30)
    return True


@given(programs())
def test_random_programs_agree_with_sympy_finite_differences_and_autograd(case):
    text, values, gates = case
    program = parse_program(text, gates=gates)
    run = run_program(program, simplify=False)
    point = {s: sp.Rational(str(values[s.name])) for s in program.inputs}
    assume(_smooth_at(program, point))
    # 1. sympy.diff of the whole program inlined into one expression
    inlined = program.inlined()
    for s in program.inputs:
        reference = to_elementary(sp.diff(inlined, s)).xreplace(point)
        assert float(run.gradients[s]) == pytest.approx(float(reference), rel=1e-9, abs=1e-9)
    # 2. central finite differences of the generated NumPy code, which also gives the gradients
    f = compile_program(program)
    x0 = [float(values[s.name]) for s in program.inputs]
    value, grad = f(*x0)
    assert value[program.output.name] == pytest.approx(float(run.values[program.output]), rel=1e-9)
    for i, s in enumerate(program.inputs):
        assert grad[s.name] == pytest.approx(float(run.gradients[s]), rel=1e-9, abs=1e-9)
        h = 1e-6
        up, down = list(x0), list(x0)
        up[i] += h
        down[i] -= h
        numeric = (f(*up)[0][program.output.name] - f(*down)[0][program.output.name]) / (2 * h)
        assert numeric == pytest.approx(grad[s.name], rel=1e-4, abs=1e-5)
    # 3. HIPS autograd on an independent forward pass
    autograd = pytest.importorskip("autograd")
    auto = autograd.grad(_autograd_forward(program))(np.array(x0))
    for i, s in enumerate(program.inputs):
        assert auto[i] == pytest.approx(float(run.gradients[s]), rel=1e-7, abs=1e-9)
    assert math.isfinite(float(run.values[program.output]))


@given(programs())
def test_random_programs_lay_out_as_trees_without_crossings(case):
    text, _, gates = case
    _check_layout(run_program(parse_program(text, gates=gates)))


PIECES = ["a", "b", "c", " = ", " + ", "*", "/", "**", "^", "(", ")", "-", "1", "0.5", "\n", ";"]
PIECES += ["relu(", "max(", ",", "exp(", "x.y", "[0]", "import ", "+=", "e", "pi", "1e999"]


@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_any_text_is_a_program_or_a_one_line_error(pieces):
    text = "".join(pieces)
    try:
        program = parse_program(text, gates=len(text) % 2 == 0)
    except SymnnError as error:
        assert str(error) and "\n" not in str(error)
    else:
        assert program.nodes and program.output == program.nodes[-1].symbol
