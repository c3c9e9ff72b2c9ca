"""Figures drawn from the derivation's own graph, symbols and numbers: what they carry, that they
compile (pdflatex; latex + dvisvgm for SVG), read back (pdftotext), and are the same bytes twice."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.engine import derive
from symnn.engine.values import worked_numbers
from symnn.gallery.networks import bundled_spec
from symnn.output.document import render_derivation
from symnn.output.figures.network import MAX_UNITS, network_context, render_network
from symnn.output.figures.tikz import canonical_svg, picture_pdf, picture_svg
from symnn.output.pdf import compile_pdf, pdflatex
from symnn.printing.latex import SymnnLatexPrinter
from symnn.spec.build import build_graph
from symnn.spec.specfile import load_spec
from tests.cli_harness import run_cli

needs_pdflatex = pytest.mark.skipif(pdflatex() is None, reason="pdflatex not installed")
needs_dvisvgm = pytest.mark.skipif(shutil.which("dvisvgm") is None, reason="dvisvgm not installed")


def _net(name: str):
    return load_spec(bundled_spec(f"{name}.toml"))


def _printer(graph, notation: str = "layered") -> SymnnLatexPrinter:
    return SymnnLatexPrinter(namer=nt.NOTATIONS[notation].namer(graph.shape))


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "figure.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return done.stdout


def _parameters(graph) -> set:
    return {s for p in graph.parameters for _, s in p.entries()}


def _flows(ctx) -> set[tuple[str, str]]:
    return {(e.source, e.target) for e in ctx["edges"] if e.flow}


def test_the_path_of_delta_is_every_edge_it_flows_back_through():
    graph = build_graph(_net("two_two_two"))
    printer = _printer(graph)
    # An output weight: its own edge h1 -> o1, and o1 -> L.
    ctx = network_context(graph, printer, nt.w(2, 1, 1))
    assert _flows(ctx) == {("u1x1", "u2x1"), ("u2x1", "loss")}
    # A hidden weight: x1 -> h1, then both of h1's edges and both outputs' edges to L.
    ctx = network_context(graph, printer, nt.w(1, 1, 1))
    assert _flows(ctx) == {
        ("u0x1", "u1x1"),
        ("u1x1", "u2x1"),
        ("u1x1", "u2x2"),
        ("u2x1", "loss"),
        ("u2x2", "loss"),
    }
    # Overlays walk back from the loss: L's edges first, the weight's own edge last.
    order = {(e.source, e.target): e.flow for e in ctx["edges"] if e.flow}
    assert order[("u2x1", "loss")] == 1 and order[("u1x1", "u2x2")] == 2
    assert order[("u0x1", "u1x1")] == 3
    # A bias has no edge of its own: δ's path starts at its unit.
    ctx = network_context(graph, printer, nt.b(2, 2))
    assert _flows(ctx) == {("u2x2", "loss")}


def test_edges_carry_the_weights_and_units_the_biases_of_the_graph():
    net = _net("two_two_two")
    graph = build_graph(net)
    ctx = network_context(graph, _printer(graph, "neuron"))
    labels = {(e.source, e.target): e.label for e in ctx["edges"]}
    # Mazur's numbering: w1 joins i1 to h1, w2 i2 to h1, w5 h1 to o1.
    assert labels[("u0x1", "u1x1")] == "w_{1}" and labels[("u0x2", "u1x1")] == "w_{2}"
    assert labels[("u1x1", "u2x1")] == "w_{5}"
    nodes = {n.key: n for n in ctx["nodes"]}
    assert nodes["u1x1"].lines == (r"\mathrm{net}_{h_{1}}", r"\mathrm{out}_{h_{1}}")
    assert nodes["u1x1"].bias == "b_{h_{1}}"
    # With numbers: the worked example's given values, the same the document prints.
    values = dict(worked_numbers(derive(net, "all")).given)
    ctx = network_context(graph, _printer(graph, "neuron"), values=values)
    labels = {(e.source, e.target): e.label for e in ctx["edges"]}
    assert labels[("u0x1", "u1x1")] == "0.15" and labels[("u1x2", "u2x2")] == "0.55"
    assert {n.key: n for n in ctx["nodes"]}["u2x1"].bias == "b_{o_{1}} = 0.6"


def test_a_graph_with_a_skip_connection_draws_it_as_wired():
    graph = build_graph(_net("residual"))
    ctx = network_context(graph, _printer(graph), nt.w(1, 1, 1))
    edges = {(e.source, e.target): e for e in ctx["edges"]}
    # block 3 adds blocks 1 and 2: an edge from each, the one from block 1 skipping a column.
    assert ("u1x1", "u3x1") in edges and ("u2x1", "u3x1") in edges
    assert edges[("u1x1", "u3x1")].bend != 0 and edges[("u2x1", "u3x1")].bend == 0
    assert edges[("u1x1", "u3x1")].flow and edges[("u3x1", "u4x1")].flow


def test_wide_layers_collapse_and_keep_the_units_on_the_path():
    graph = build_graph(_net("iris"))
    widths = graph.network.widths
    assert max(widths) > MAX_UNITS
    ctx = network_context(graph, _printer(graph), nt.w(2, 3, 7))
    keys = [n.key for n in ctx["nodes"]]
    wide = widths.index(max(widths))
    shown = [k for k in keys if k.startswith(f"u{wide}x")]
    assert len(shown) <= MAX_UNITS and f"u{wide}x7" in shown
    assert any(n.style == "dots" for n in ctx["nodes"])
    assert ("u1x7", "u2x3") in _flows(ctx)


def test_the_same_figure_twice_is_the_same_text():
    graph = build_graph(_net("residual"))
    one = render_network(graph, _printer(graph), nt.w(1, 2, 1), reveal=True)
    assert one == render_network(graph, _printer(graph), nt.w(1, 2, 1), reveal=True)
    assert "alt=<" in one


@needs_pdflatex
def test_the_network_figure_compiles_and_reads_back_its_labels(tmp_path):
    net = _net("two_two_two")
    graph = build_graph(net)
    values = dict(worked_numbers(derive(net, "all")).given)
    pdf = picture_pdf(render_network(graph, _printer(graph, "neuron"), nt.w(1, 1, 1), values))
    text = _text(pdf, tmp_path)
    for label in ("0.15", "0.2", "0.25", "0.3", "0.4", "0.45", "0.5", "0.55", "0.35", "0.6"):
        assert label in text
    for unit in ("net", "out", "total"):
        assert unit in text
    symbolic = _text(picture_pdf(render_network(graph, _printer(graph), nt.w(1, 1, 1))), tmp_path)
    assert symbolic.count("w") >= 8 and "(1)" in symbolic and "(2)" in symbolic
    assert picture_pdf(render_network(graph, _printer(graph), nt.w(1, 1, 1))) == picture_pdf(
        render_network(graph, _printer(graph), nt.w(1, 1, 1))
    )


@needs_pdflatex
@pytest.mark.parametrize("name", ["residual", "tied_autoencoder", "iris", "deep_relu"])
def test_every_bundled_network_figure_compiles(name):
    graph = build_graph(_net(name))
    assert picture_pdf(render_network(graph, _printer(graph), nt.w(1, 1, 1))).startswith(b"%PDF")


@needs_pdflatex
@pytest.mark.parametrize(
    ("name", "labels"),
    [
        ("attention", ["q1", "k1", "v1", "s1", "p1", "o1", "a1", "x4", "s8", "p8"]),
        ("gru", ["q1,1", "q2,1", "r1,1", "ζ2,1", "n2,1", "p2,1", "x1", "x2"]),
        ("lstm", ["x1", "x2", "L"]),
        ("rnn", ["x1", "x3", "L"]),
        ("batchnorm", ["μ", "σ", "x̂1", "x6", "L"]),
        ("layernorm", ["μ", "σ", "x̂1", "γ1", "β1", "L"]),
    ],
)
def test_layer_stage_figures_compile_and_read_back_their_labels(name, labels, tmp_path):
    # Each stage is a node: its label reads back on its own, not piled with the others'.
    graph = build_graph(_net(name))
    first = graph.parameters[0].entries()[0][1]
    text = _text(picture_pdf(render_network(graph, _printer(graph), first)), tmp_path)
    text = text.replace("\u00b5", "\u03bc")  # TeX's \mu reads back as the micro sign
    words = set(text.split())
    for label in labels:
        assert label in words or label in text, (name, label)


@needs_pdflatex
def test_article_and_beamer_carry_the_figure_and_compile(tmp_path):
    net = _net("two_two_two")
    derivation = derive(net, "W1[1,1]")
    article = render_derivation(derivation, "article", "neuron", numeric=True, figures="inline")
    assert "\\usepackage{tikz}" in article and "\\begin{tikzpicture}" in article
    text = _text(compile_pdf(article), tmp_path)
    assert "Thick red" in text and "0.15" in text
    slides = render_derivation(derivation, "beamer", numeric=True, figures="inline")
    assert "alt=<3->{flow}{}" in slides
    # Every overlay typesets its frame's thumbnail again: allow a loaded machine the time.
    assert "The network" in _text(compile_pdf(slides, timeout=300), tmp_path)
    # Without figures nothing changes: no TikZ, no picture.
    plain = render_derivation(derivation, "article", "neuron", numeric=True)
    assert "tikz" not in plain


@pytest.mark.parametrize(
    ("name", "numbers"),
    [("two_two_two", True), ("softmax_three_classes", False), ("three_layer_tanh", False),
     ("iris", False), ("residual", True), ("tied_autoencoder", True), ("attention", False),
     ("attention", True), ("gru", False), ("lstm", True), ("rnn", False), ("layernorm", False),
     ("batchnorm", False)],
)  # fmt: skip
def test_placed_weight_labels_meet_no_other_label_and_no_unit(name, numbers):
    from symnn.output.figures.network import _node_box, _overlap, bias_box, label_box

    net = _net(name)
    graph = build_graph(net)
    values = dict(worked_numbers(derive(net, "all")).given) if numbers else None
    wrt = nt.w(1, 1, 1) if nt.w(1, 1, 1) in _parameters(graph) else None
    ctx = network_context(graph, _printer(graph), wrt, values)
    nodes = {n.key: n for n in ctx["nodes"]}
    labels = [
        (e, label_box(nodes[e.source], nodes[e.target], e, e.pos)) for e in ctx["edges"] if e.label
    ]
    assert len(labels) >= 4
    others = [_node_box(n) for n in nodes.values()] + [
        b for n in nodes.values() if (b := bias_box(n)) is not None
    ]
    for i, (edge, box) in enumerate(labels):
        for other_edge, other in labels[i + 1 :]:
            assert not _overlap(box, other), (edge.label, other_edge.label)
        assert not any(_overlap(box, other) for other in others), edge.label


GALLERY_KINDS = [
    "two_two_two", "softmax_three_classes", "three_layer_tanh", "residual", "tied_autoencoder",
    "rnn", "lstm", "gru", "attention", "cnn", "conv1d", "conv_worked", "batchnorm", "layernorm",
    "dropout_mlp", "embedding_bag", "iris", "single_neuron",
]  # fmt: skip


@pytest.mark.parametrize("name", GALLERY_KINDS)
def test_every_drawn_node_but_an_input_has_an_edge_in_and_one_out(name):
    # A GRU drew its inputs with no edge (its stages were not nodes), attention piled q, k, v,
    # s, p, o into one unit: every quantity a layer computes is a node of its own, wired.
    graph = build_graph(_net(name))
    parameters = _parameters(graph)
    first = graph.parameters[0].entries()[0][1]
    ctx = network_context(graph, _printer(graph), first)
    assert any(e.flow for e in ctx["edges"])
    into = {e.target for e in ctx["edges"]}
    out = {e.source for e in ctx["edges"]}
    for node in ctx["nodes"]:
        if node.style == "input":
            assert node.key in out, f"{name}: input {node.key} has no edge out"
        if node.style in ("input", "dots") or node.key == "loss":
            continue
        shown = [d for d in graph.definitions if d.symbol in _drawn(node, graph)]
        assert shown, node.lines
        # Read from parameters alone (a GRU's W_hh h_0 + b_hh at h_0 = 0): its bias, no edge in.
        constant = all(set(graph.parents(d)) <= parameters for d in shown)
        assert node.key in into or constant, f"{name}: {node.key} has no edge in"
        assert node.key in out or _dropped(shown, graph), f"{name}: {node.key} has no edge out"
    # Each of a layer's stages stands in a column of its own: no node piles several kinds.
    for node in ctx["nodes"]:
        kinds = {d.kind.name for d in graph.definitions if d.symbol in _drawn(node, graph)}
        assert len(kinds - {"weighted_input", "convolution", "activation"}) <= 1, kinds


def _drawn(node, graph) -> set:
    """The symbols a drawn node shows, read back from its labels."""
    printer = _printer(graph)
    return {d.symbol for d in graph.definitions if printer.doprint(d.symbol) in node.lines}


def _dropped(definitions, graph) -> bool:
    """A unit whose output nothing reads (dropout's mask took it): no edge out."""
    return any(not graph.children(d.symbol) for d in definitions)


def test_each_slide_on_deltas_path_shows_how_far_back_delta_has_come():
    import re

    derivation = derive(_net("two_two_two"), "W1[1,1]")
    slides = render_derivation(derivation, "beamer", figures="inline")
    frames = slides.split("\\begin{frame}")[1:]
    seen = {}
    for frame in frames:
        title = frame[: frame.index("\\begin{align*}")] if "align*" in frame else ""
        if "\\hfill\\smash" not in title:
            continue
        steps = max(int(n) for n in re.findall(r"\\uncover<(\d+)->", frame))
        turns = {int(n) for n in re.findall(r"alt=<(\d+)->\{flow\}", title)}
        assert turns == {steps}  # the newest hop turns red with the frame's last step
        earlier = title.count("\\draw[flow]")  # the hops δ took before: red from the start
        term = re.search(r"\$(.*?)\$\\hfill", title)[1]
        seen.setdefault(term, set()).add(earlier)
    # δ⁽²⁾: the two edges into the loss turn red; δ⁽¹⁾₁: those two already red, its two
    # edges into layer 2 turn red; ∂L/∂w⁽¹⁾₁₁ (the chosen one): four red, its own edge turns.
    assert seen[r"\delta^{(2)}_{1}"] == {0} and seen[r"\delta^{(1)}_{1}"] == {2}
    assert seen[r"w^{(1)}_{11}"] == {4}
    assert r"\delta^{(1)}_{2}" not in seen  # off the path: no thumbnail
    assert "@turn@" not in slides


@needs_dvisvgm
def test_the_markdown_figure_is_an_svg_the_same_bytes_twice():
    graph = build_graph(_net("two_two_two"))
    picture = render_network(graph, _printer(graph, "neuron"), nt.w(2, 1, 1))
    svg = picture_svg(picture)
    assert svg.startswith("<?xml") and "<svg" in svg and "<path" in svg
    assert svg == picture_svg(picture)


def test_glyph_definitions_are_sorted_whatever_order_dvisvgm_chose():
    defs = [
        "<path id='g2-48' d='M1'/>\n",
        "<path id='g1-50' d='M2'/>\n",
        "<path id='g1-9' d='M3'/>\n",
    ]
    head, tail = "<svg>\n<defs>\n", "</defs>\n<g/>\n</svg>\n"
    shuffled = [head + "".join(order) + tail for order in (defs, defs[::-1], defs[1:] + defs[:1])]
    canonical = {canonical_svg(svg) for svg in shuffled}
    assert canonical == {head + defs[2] + defs[1] + defs[0] + tail}


@needs_dvisvgm
def test_derive_writes_separate_figures_beside_the_output(tmp_path):
    out = tmp_path / "notes.md"
    result = run_cli(["derive", "two_two_two", "--format", "md", "--figures", "separate",
                      "-o", str(out)])  # fmt: skip
    assert result.code == 0, result.stderr
    assert "![The network](notes-network.svg)" in out.read_text()
    assert (tmp_path / "notes-network.svg").read_text().startswith("<?xml")
    tex = tmp_path / "notes.tex"
    result = run_cli(["derive", "two_two_two", "--format", "article", "--figures", "separate",
                      "-o", str(tex)])  # fmt: skip
    assert result.code == 0, result.stderr
    assert "\\input{notes-network.tex}" in tex.read_text()
    assert "\\begin{tikzpicture}" in (tmp_path / "notes-network.tex").read_text()


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--format", "md", "--figures", "separate"], "expected an output file"),
        (["--format", "pdf", "--figures", "separate", "-o", "x.pdf"], "carries its figures"),
        (["--figures", "inline"], "plain text has no figures"),
    ],
)
def test_a_figure_that_cannot_be_made_is_an_error_saying_why(argv, words):
    result = run_cli(["derive", "two_two_two", *argv])
    assert result.clean_error, result.describe()
    assert words in result.stderr


@needs_dvisvgm
def test_markdown_inline_figures_are_the_same_svg_inside_the_file(tmp_path):
    import base64
    import re

    out = tmp_path / "notes.md"
    result = run_cli(["derive", "two_two_two", "--format", "md", "--figures", "separate",
                      "-o", str(out)])  # fmt: skip
    assert result.code == 0, result.stderr
    result = run_cli(["derive", "two_two_two", "--format", "md", "--figures", "inline"])
    assert result.code == 0, result.stderr
    found = re.findall(r"!\[The network\]\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)",
                       result.stdout)  # fmt: skip
    assert len(found) == 1
    assert base64.b64decode(found[0]) == (tmp_path / "notes-network.svg").read_bytes()
    # calc and perceptron: the same picture their separate SVG holds, inside the Markdown.
    for argv in (["calc", "derivative", "x**3 + 2*x", "--at", "2"], ["perceptron", "--gate", "or"]):
        side = tmp_path / "side.md"
        result = run_cli([*argv, "--format", "md", "--figures", "separate", "-o", str(side)])
        assert result.code == 0, result.stderr
        assert "![The figure](side-figure.svg)" in side.read_text()
        inline = run_cli([*argv, "--format", "md", "--figures", "inline"])
        assert inline.code == 0, inline.stderr
        data = re.findall(r"\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)", inline.stdout)
        assert base64.b64decode(data[0]) == (tmp_path / "side-figure.svg").read_bytes()


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (
            [
                "calc",
                "derivative",
                "x**2",
                "--at",
                "1",
                "--format",
                "tex",
                "--figures",
                "separate",
                "-o",
                "x.tex",
            ],
            "expected --format md",
        ),  # fmt: skip
        (
            ["calc", "derivative", "x**2", "--at", "1", "--format", "md", "--figures", "separate"],
            "expected an output file",
        ),  # fmt: skip
        (
            [
                "calc",
                "hessian",
                "x**2 + y**2",
                "--at",
                "1,1",
                "--format",
                "md",
                "--figures",
                "separate",
                "-o",
                "x.md",
            ],
            "has no figure",
        ),  # fmt: skip
        (
            [
                "calc",
                "hessian",
                "x**2 + y**2",
                "--at",
                "1,1",
                "--format",
                "md",
                "--figures",
                "inline",
            ],
            "has no figure",
        ),  # fmt: skip
        (
            [
                "perceptron",
                "--point",
                "3,-1,2",
                "--weights",
                "1,2,0",
                "--format",
                "md",
                "--figures",
                "separate",
                "-o",
                "x.md",
            ],
            "drawn for two inputs",
        ),  # fmt: skip
        (["perceptron", "--gate", "and", "--figures", "inline"], "plain text has no figures"),
    ],
)
def test_calc_and_perceptron_refuse_a_figure_they_cannot_make(argv, words, tmp_path):
    at = argv.index("-o") + 1 if "-o" in argv else None
    if at is not None:
        argv = [*argv[:at], str(tmp_path / argv[at]), *argv[at + 1 :]]
    result = run_cli(argv)
    assert result.clean_error, result.describe()
    assert words in result.stderr
    assert not list(tmp_path.iterdir())  # nothing half written


def test_perceptron_panels_follow_the_run():
    from symnn.output.figures.perceptron import MAX_PANELS, run_panels
    from symnn.perceptron.run import gate, train_perceptron

    run = train_perceptron(*gate("and"))
    panels = run_panels(run)
    changed = [u for u in run.updates if u.changed]
    assert len(panels) == 1 + min(len(changed), MAX_PANELS)
    # The second update of AND gives w = (1, 1), b = 0: its line x1 + x2 = 0 crosses the
    # window through the origin, and w is drawn as its normal.
    assert changed[1].weights == (1, 1) and changed[1].bias == 0
    assert "update 2 (epoch 1, sample 4)" in panels[2] and r"\mathbf{w} = (1, 1)" in panels[2]
    assert panels == run_panels(train_perceptron(*gate("and")))


def test_a_perceptron_figure_needs_two_inputs():
    from symnn.core.errors import SymnnError
    from symnn.output.figures.perceptron import point_panel

    with pytest.raises(SymnnError, match="two entries"):
        point_panel("1,2,3", "1,1,1")


@needs_pdflatex
def test_perceptron_article_carries_the_moving_line(tmp_path):
    out = tmp_path / "and.pdf"
    result = run_cli(["perceptron", "--gate", "and", "--format", "pdf", "-o", str(out)])
    assert result.code == 0, result.stderr
    text = _text(out.read_bytes(), tmp_path)
    assert "update 2 (epoch 1, sample 4)" in text and "w = (1, 1)" in text
    result = run_cli(["perceptron", "--gate", "and", "--format", "md", "--figures", "inline"])
    assert result.code == 0 and "![The figure](data:image/svg+xml;base64," in result.stdout


@needs_pdflatex
def test_perceptron_point_plot_writes_the_picture_it_was_asked_for(tmp_path):
    argv = ["perceptron", "--weights", "2,1", "--point", "1,3", "--bias=-1", "--plot"]
    for suffix in (".pdf", ".png", ".tex"):
        target = tmp_path / f"view{suffix}"
        result = run_cli([*argv, str(target)])
        assert result.code == 0, result.stderr
        assert target.stat().st_size > 0
    text = _text((tmp_path / "view.pdf").read_bytes(), tmp_path)
    assert "w = (2, 1)" in text and "x = (1, 3)" in text and "θ" in text
    assert (tmp_path / "view.png").read_bytes().startswith(b"\x89PNG")
    first = (tmp_path / "view.png").read_bytes()
    assert run_cli([*argv, str(tmp_path / "again.png")]).code == 0
    assert (tmp_path / "again.png").read_bytes() == first
    # What cannot be drawn is an error saying why, never a silent exit 0.
    three = run_cli(["perceptron", "--weights", "1,2,3", "--point", "1,1,1", "--plot",
                     str(tmp_path / "x.png")])  # fmt: skip
    assert three.clean_error and "two entries" in three.stderr
    odd = run_cli([*argv, str(tmp_path / "x.gif")])
    assert odd.clean_error and ".gif" in odd.stderr


BOWL = "(x - 3)**2 + 2*(y + 1)**2"


def test_descent_level_sets_pass_through_the_iterates():
    import numpy as np

    from symnn.calculus.descent import gradient_descent
    from symnn.output.figures.descent import _segments, descent_picture

    run = gradient_descent(BOWL, "0,0", "0.1", 3, exact=True)
    picture = descent_picture([run])
    assert picture == descent_picture([gradient_descent(BOWL, "0,0", "0.1", 3, exact=True)])
    # The iterates are drawn where the table puts them: (0, 0), (0.6, -0.4), …
    assert r"\fill[red!75!black] (0.6, -0.4) circle" in picture
    # Marching squares: the level set of x² + y² = 1 on a grid lies on the unit circle.
    xs = ys = np.linspace(-2, 2, 41)
    X, Y = np.meshgrid(xs, ys)
    pieces = _segments(X**2 + Y**2, xs, ys, 1.0)
    radii = [np.hypot(*p) for piece in pieces for p in piece]
    assert pieces and max(abs(r - 1) for r in radii) < 0.01


@needs_pdflatex
def test_descent_article_carries_the_path_and_the_comparison(tmp_path):
    out = tmp_path / "d.pdf"
    argv = ["calc", "descent", BOWL, "--from", "0,0", "--lr", "0.1", "--steps", "4"]
    result = run_cli([*argv, "--compare-lr", "0.02,0.2,0.45", "--format", "pdf", "-o", str(out)])
    assert result.code == 0, result.stderr
    text = _text(out.read_bytes(), tmp_path)
    assert "level sets" in text and "too small crawls" in text
    assert "η = 0.45" in text and "η = 0.02" in text
    refused = run_cli([*argv, "--compare-lr", "0.1,0.2"])
    assert refused.clean_error and "--compare-lr" in refused.stderr


def test_the_tangent_and_the_gradient_are_the_derivations_numbers():
    from symnn.calculus.calculus import derivative, gradient
    from symnn.output.figures.calculus import calculus_picture

    tangent = calculus_picture(derivative("x**3 + 2*x", at="2"))
    # f(2) = 12, f'(2) = 14: the tangent 12 + 14 (x − 2) runs from x = 0 (−16) to x = 4 (40).
    assert r"\draw[red!75!black, thick] (0, -16) -- (4, 40)" in tangent
    assert "tangent, slope 14" in tangent and "$(2, 12)$" in tangent
    arrow = calculus_picture(gradient("x**2 + 4*y**2", at="1,1"))
    assert r"\nabla f = (2, 8)" in arrow and "level set $f = 5$" in arrow


@needs_pdflatex
def test_calc_article_carries_its_picture_or_says_why_not(tmp_path):
    out = tmp_path / "t.pdf"
    result = run_cli(["calc", "derivative", "x**3 + 2*x", "--at", "2", "--format", "pdf", "-o",
                      str(out)])  # fmt: skip
    assert result.code == 0, result.stderr
    assert "tangent, slope 14" in _text(out.read_bytes(), tmp_path)
    none = run_cli(["calc", "hessian", "x**2 + y**2", "--at", "1,1", "--format", "article",
                    "--figures", "inline"])  # fmt: skip
    assert none.clean_error and "no picture" in none.stderr


def test_the_jacobian_chain_has_the_networks_shapes_and_conforms():
    import re

    from symnn.output.figures.jacobian import chain_picture
    from symnn.spec.network import Dense, Network

    net = Network(3, [Dense(4, "tanh"), Dense(4, "tanh"), Dense(2, "sigmoid")], "squared_error")
    shapes = re.findall(r"\$(\d+) \\times (\d+)\$", chain_picture(net))
    assert shapes == [("1", "2"), ("2", "2"), ("2", "4"), ("4", "4"), ("4", "4"), ("4", "4"),
                      ("4", "3")]  # fmt: skip
    assert all(a[1] == b[0] for a, b in zip(shapes, shapes[1:], strict=False))
    assert chain_picture(_net("residual")) is None  # a graph, not a chain


def test_a_deep_chain_wraps_into_rows_within_the_page():
    import re

    from symnn.output.figures.jacobian import ROOM, chain_picture
    from symnn.spec.network import Dense, Network

    net = Network(4, [Dense(16, "relu"), Dense(16, "relu"), Dense(8, "relu"), Dense(3)], "mse")
    article = chain_picture(net)
    xs = [float(x) for x in re.findall(r"\((-?[\d.]+), -?[\d.]+\)", article)]
    tops = sorted({float(y) for y in re.findall(r"\(-?[\d.]+, (-?[\d.]+)\) rectangle", article)})
    assert max(xs) <= ROOM["article"][0] and len(tops) == 2  # two rows, none past the text
    assert article.count(r"$\cdots$") == 2 and r"\scalebox" not in article
    shapes = re.findall(r"\$(\d+) \\times (\d+)\$", article)
    assert len(shapes) == 9 and all(a[1] == b[0] for a, b in zip(shapes, shapes[1:], strict=False))
    slide = chain_picture(net, "beamer")  # a slide is low: the chain is scaled down to fit
    assert float(re.match(r"\\scalebox\{([\d.]+)\}", slide)[1]) < 1


@needs_pdflatex
def test_matrix_documents_carry_the_chain(tmp_path):
    out = tmp_path / "m.pdf"
    result = run_cli(["derive", "two_two_two", "--level", "both", "--format", "pdf", "-o",
                      str(out)])  # fmt: skip
    assert result.code == 0, result.stderr
    text = _text(out.read_bytes(), tmp_path)
    compact = "".join(text.split())
    assert "productofJacobians" in compact and "1×2" in compact and "2×2" in compact


def test_a_network_circuit_is_the_program_circuit_at_the_worked_numbers():
    from symnn.engine.network_program import network_program
    from symnn.engine.program import ProgramRun

    run = ProgramRun(network_program(_net("two_two_two")))
    values = {str(s): float(v) for s, v in run.values.items()}
    gradients = {str(s): float(v) for s, v in run.gradients.items()}
    # Mazur's worked example: E_total = 0.298371109, ∂E/∂w1 = 0.000438568, ∂E/∂w5 = 0.082167041.
    assert abs(values["L"] - 0.298371109) < 1e-8
    assert abs(gradients["w_1_1_1"] - 0.000438568) < 1e-8
    assert abs(gradients["w_2_1_1"] - 0.082167041) < 1e-8
    assert [str(n.symbol) for n in run.program.nodes][-1] == "L"


@needs_pdflatex
def test_derive_draws_the_network_as_a_circuit(tmp_path):
    out = tmp_path / "circuit.pdf"
    result = run_cli(["derive", "single_neuron", "--format", "circuit", "-o", str(out)])
    assert result.code == 0, result.stderr
    text = _text(out.read_bytes(), tmp_path)
    for label in ("0.5", "1.5", "0.85", "σ", "0.04483"):  # w, x, z = 0.5·1.5 + 0.1, σ, L
        assert label in text
    tex = run_cli(["derive", "single_neuron", "--format", "circuit"])
    assert "\\begin{tikzpicture}" in tex.stdout and "w^{(1)}_{11}" in tex.stdout
    refused = run_cli(["derive", "softmax_three_classes", "--format", "circuit"])
    assert refused.clean_error and "not a scalar gate" in refused.stderr


def test_separate_figure_is_written_before_the_markdown_that_points_at_it(tmp_path, monkeypatch):
    """Without latex the SVG cannot be made: the command fails and writes no Markdown (a file
    pointing at a figure that is not there would be half a result)."""
    monkeypatch.setattr("symnn.output.figures.tikz.shutil.which", lambda name: None)
    for argv in (
        ["calc", "gradient", "x**2 + 4*y**2", "--at", "1,1"],
        ["perceptron", "--gate", "and"],
    ):
        out = tmp_path / "doc.md"
        result = run_cli([*argv, "--format", "md", "--figures", "separate", "-o", str(out)])
        assert result.clean_error and "needs latex" in result.stderr, result.stderr
        assert not out.exists() and not list(tmp_path.iterdir())


def test_circuit_output_errors_name_the_option_used(tmp_path):
    result = run_cli(["derive", "two_two_two", "--format", "circuit", "-o", str(tmp_path / "c.md")])
    assert result.clean_error and "-o " in result.stderr and "--plot" not in result.stderr
    missing = run_cli(["derive", "xor", "--format", "circuit"])  # no weights in the spec
    assert missing.clean_error and "weights" in missing.stderr
    assert "learning_rate" not in missing.stderr
    sample = run_cli(["derive", "two_two_two", "--format", "circuit", "--sample", "3"])
    assert sample.clean_error and "from 1 to 1" in sample.stderr


def test_circuit_refuses_options_it_would_ignore():
    for flag in ("--bp-equations", "--derive-activations", "--expand"):
        result = run_cli(["derive", "single_neuron", "--format", "circuit", flag])
        assert result.clean_error and flag in result.stderr, (flag, result.stderr)


@needs_pdflatex
def test_graph_documents_carry_the_circuit_as_asked(tmp_path):
    # graph had no --figures: the circuit was in article and slides, never in tex, and could not
    # be left out or written beside.
    fragment = run_cli(["graph", "micrograd", "--format", "tex", "--figures", "inline"])
    assert fragment.code == 0, fragment.stderr
    assert "% requires: tikz" in fragment.stdout and "\\begin{tikzpicture}" in fragment.stdout
    plain = run_cli(["graph", "micrograd", "--format", "tex"])
    assert "tikzpicture" not in plain.stdout and "Circuit" not in plain.stdout
    bare = run_cli(["graph", "micrograd", "--format", "beamer", "--figures", "none"])
    assert bare.code == 0 and "tikzpicture" not in bare.stdout
    out = tmp_path / "notes.tex"
    beside = run_cli(["graph", "micrograd", "--format", "article", "--figures", "separate",
                      "-o", str(out)])  # fmt: skip
    assert beside.code == 0, beside.stderr
    assert "\\input{notes-circuit.tex}" in out.read_text()
    assert "\\begin{tikzpicture}" in (tmp_path / "notes-circuit.tex").read_text()
    # The article compiles with the circuit read from beside it, and reads back its numbers.
    command = ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "notes.tex"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, check=False)
    assert done.returncode == 0, done.stdout[-2000:]
    text = _text((tmp_path / "notes.pdf").read_bytes(), tmp_path)
    assert "Forward values above the wires" in text and "24.7" in text and "138.8" in text
    pdf = tmp_path / "none.pdf"
    assert run_cli(["graph", "micrograd", "--format", "pdf", "--figures", "none",
                    "-o", str(pdf)]).code == 0  # fmt: skip
    assert "Circuit" not in _text(pdf.read_bytes(), tmp_path)


@needs_dvisvgm
def test_graph_markdown_points_at_or_holds_the_circuit_svg(tmp_path):
    import base64
    import re

    out = tmp_path / "g.md"
    result = run_cli(["graph", "micrograd", "--format", "md", "--figures", "separate",
                      "-o", str(out)])  # fmt: skip
    assert result.code == 0, result.stderr
    assert "](g-circuit.svg)" in out.read_text()
    inline = run_cli(["graph", "micrograd", "--format", "md", "--figures", "inline"])
    assert inline.code == 0, inline.stderr
    data = re.findall(r"\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)", inline.stdout)
    assert base64.b64decode(data[0]) == (tmp_path / "g-circuit.svg").read_bytes()


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--figures", "inline"], "has no figures"),
        (["--format", "circuit", "--figures", "inline"], "is the circuit itself"),
        (["--json", "--figures", "separate"], "has no figures"),
        (["--format", "beamer", "--figures", "separate", "-o", "x.tex"], "carries its circuit"),
        (["--format", "md", "--figures", "separate"], "expected an output file"),
    ],
)
def test_graph_refuses_a_figure_it_cannot_make(argv, words, tmp_path):
    at = argv.index("-o") + 1 if "-o" in argv else None
    if at is not None:
        argv = [*argv[:at], str(tmp_path / argv[at]), *argv[at + 1 :]]
    result = run_cli(["graph", "micrograd", *argv])
    assert result.clean_error, result.describe()
    assert words in result.stderr
    assert not list(tmp_path.iterdir())


@needs_pdflatex
def test_train_worked_step_carries_the_network_and_the_loss_curve(tmp_path):
    # train had no --figures: its worked step was the one document of symnn with no picture.
    out = tmp_path / "step.tex"
    result = run_cli(["train", "two_two_two", "--steps", "20", "--quiet", "--worked-step",
                      str(out)])  # fmt: skip
    assert result.code == 0, result.stderr
    tex = out.read_text()
    assert tex.count("\\begin{tikzpicture}") == 2
    text = _text(compile_pdf(tex), tmp_path)
    # The network with the step's own numbers (the weights before it) and the curve's ends.
    for label in ("0.15", "0.45", "0.55", "The loss after each of the 20 steps", "0.2984"):
        assert label in text, label
    beside = tmp_path / "beside.tex"
    result = run_cli(["train", "two_two_two", "--steps", "20", "--quiet", "--worked-step",
                      str(beside), "--figures", "separate"])  # fmt: skip
    assert result.code == 0, result.stderr
    assert "\\input{beside-network.tex}" in beside.read_text()
    assert "\\input{beside-loss.tex}" in beside.read_text()
    assert (tmp_path / "beside-loss.tex").read_text().startswith("\\begin{tikzpicture}")
    none = tmp_path / "none.tex"
    run_cli(["train", "two_two_two", "--steps", "20", "--quiet", "--worked-step", str(none),
             "--figures", "none"])  # fmt: skip
    assert "tikz" not in none.read_text()


def test_the_loss_curve_runs_through_the_runs_losses():
    from symnn.output.figures.training import loss_picture

    picture = loss_picture([4.0, 2.0, 1.0])
    assert "(0, 4.5) -- (4.5, 1.5) -- (9, 0)" in picture and "{2}" in picture
    with pytest.raises(SymnnError, match="not finite"):
        loss_picture([1.0, float("nan")])


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--figures", "inline"], "give --worked-step"),
        (["--figures", "separate", "--worked-step", "x.txt"], "expected a .tex or .md"),
    ],
)
def test_train_refuses_a_figure_it_cannot_make(argv, words, tmp_path):
    argv = [str(tmp_path / a) if a.startswith("x.") else a for a in argv]
    result = run_cli(["train", "two_two_two", "--steps", "2", "--quiet", *argv])
    assert result.clean_error, result.describe()
    assert words in result.stderr
    assert not list(tmp_path.iterdir())


@needs_dvisvgm
def test_train_markdown_worked_step_shows_its_figures_as_svg(tmp_path):
    out = tmp_path / "step.md"
    result = run_cli(["train", "two_two_two", "--steps", "5", "--quiet", "--worked-step",
                      str(out), "--figures", "separate"])  # fmt: skip
    assert result.code == 0, result.stderr
    assert "](step-network.svg)" in out.read_text() and "](step-loss.svg)" in out.read_text()
    assert (tmp_path / "step-loss.svg").read_text().startswith("<?xml")
    inline = tmp_path / "inline.md"
    run_cli(["train", "two_two_two", "--steps", "5", "--quiet", "--worked-step", str(inline),
             "--figures", "inline"])  # fmt: skip
    assert inline.read_text().count("(data:image/svg+xml;base64,") == 2


@needs_pdflatex
def test_the_dot_product_view_carries_w_x_and_the_angle(tmp_path):
    # The gallery's dot_product_angle had no figure: its picture was only --plot FILE.
    from symnn.output.refresher import render_refresher
    from symnn.perceptron.view import dot_product

    view = dot_product("1,2", "3,-1", bias="-1")
    article = render_refresher(view, "tex", document=True, figures="inline")
    text = _text(compile_pdf(article), tmp_path)
    assert "θ" in text and "w = (1, 2), x = (3, −1), b = −1" in text
    assert "with w as its normal" in text
    out = tmp_path / "dp.md"
    result = run_cli(["perceptron", "--point", "3,-1", "--weights", "1,2", "--format", "md",
                      "--figures", "separate", "-o", str(out)])  # fmt: skip
    assert result.code == 0, result.stderr
    assert "](dp-figure.svg)" in out.read_text()
