"""Computational graphs for the ``derivations/`` gallery: micrograd's README example, the CS231n
circuits (f = (x + y) z and the sigmoid neuron staged into gates) and a max gate with a tie.

Each program is a bundled example file; each is written as a LaTeX fragment and Markdown (values,
gradients and the backward pass), its circuit diagram (TikZ, inside the fragment and alone, and the
same picture as SVG, which the Markdown shows) and its generated NumPy code.

Examples:
    >>> [name for name, _, _ in PROGRAMS]
    ['micrograd', 'cs231n_add_mul', 'cs231n_sigmoid_gates', 'max_tie']
"""

from __future__ import annotations

from symnn.codegen.program import program_source
from symnn.core.program import load_program
from symnn.engine.program import run_program
from symnn.gallery.networks import bundled_spec
from symnn.gallery.registry import Files, example
from symnn.output.circuit import render_circuit
from symnn.output.figures.tikz import picture_svg
from symnn.output.program import render_program

# (name, bundled file, split into gates)
PROGRAMS = [
    ("micrograd", "micrograd.txt", False),
    ("cs231n_add_mul", "cs231n_add_mul.txt", False),
    ("cs231n_sigmoid_gates", "cs231n_sigmoid.txt", True),
    ("max_tie", "max_tie.txt", False),
]


@example(
    "computational-graphs",
    "Computational graphs: micrograd and the CS231n circuits",
    "Small programs as graphs of named nodes: micrograd's README example (g = 24.7041, "
    "dg/da = 138.8338, dg/db = 645.5773 and every intermediate), CS231n's f = (x + y) z, its "
    "sigmoid neuron staged into *, +, exp, +1 and 1/x gates, and a max gate on a tie; each with "
    "every node's value and gradient, the backward pass node by node, the circuit diagram and "
    "the NumPy code.",
)
def _computational_graphs() -> Files:
    files: Files = {}
    for name, file, gates in PROGRAMS:
        program = load_program(bundled_spec(file), gates=gates)
        run = run_program(program, digits=6)
        files[f"{name}.tex"] = render_program(run, "tex", figures="inline")
        circuit = render_circuit(run)
        files[f"{name}.md"] = render_program(run, "md", circuit_file=f"{name}_circuit.svg")
        files[f"{name}_circuit.tex"] = circuit
        files[f"{name}_circuit.svg"] = picture_svg(circuit)
        files[f"{name}.py"] = program_source(program)
    return files
