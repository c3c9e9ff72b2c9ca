"""A network at one sample as a small program, so its circuit is the program circuit's drawing.

The circuit view of a network (CS231n's: forward values above the wires, gradients below) is not
drawn a second time: each definition of the element graph the derivation walks (z, a, the loss)
becomes one assignment of a program (``symnn.core.program``), its inputs given the spec's
weights, biases and the chosen sample's data, and ``symnn.output.circuit`` draws it as it draws
any program. One node per named quantity (a composite sum is one node named z); with ``gates``
every + and × is a gate of its own, as in the CS231n notes.
"""

from __future__ import annotations

import sympy as sp

from symnn.core.errors import SymnnError
from symnn.core.program import PROGRAM_FUNCTIONS, Program, parse_program
from symnn.spec.network import Network

MAX_NODES = 40  # beyond this the circuit is a wall of wires: the network diagram serves better


def network_program(network: Network, sample: int = 1, gates: bool = False) -> Program:
    """The element graph of ``network`` as a program at sample ``sample`` (from 1).

    Examples:
        >>> from symnn.spec.specfile import load_spec
        >>> program = network_program(load_spec("single_neuron"))
        >>> [str(n.symbol) for n in program.nodes], program.output
        (['z_1_1', 'a_1_1', 'L'], L)
    """
    from symnn.engine.values import point
    from symnn.spec.build import build_graph

    graph = build_graph(network)
    if len(graph.definitions) > MAX_NODES:
        raise SymnnError(
            f"--format circuit: {len(graph.definitions)} named quantities; a circuit is drawn "
            f"for at most {MAX_NODES} (use the network diagram: --format article)"
        )
    lines = []
    for d in graph.definitions:
        for f in sorted(d.expr.atoms(sp.Function), key=sp.default_sort_key):
            if type(f).__name__.lower() not in PROGRAM_FUNCTIONS:
                raise SymnnError(
                    f"--format circuit: {d.symbol} uses {type(f).__name__}, not a scalar gate; "
                    f"known: {', '.join(sorted(PROGRAM_FUNCTIONS))}"
                )
        expr = d.expr.replace(
            lambda e: isinstance(e, sp.Function),
            lambda e: sp.Function(type(e).__name__.lower())(*e.args),
        )
        lines.append(f"{d.symbol} = {sp.sstr(expr)}")
    given = point(graph, network.given_params(), *_sample(network, sample))
    values = {str(s): sp.nsimplify(v, rational=True) for s, v in given.items()}
    return parse_program("\n".join(lines), values, gates=gates)


def _sample(network: Network, sample: int) -> tuple:
    """The inputs and targets of sample ``sample`` (from 1) of the spec's data."""
    if network.data is None:
        raise SymnnError("data: expected inputs x and targets y in the spec, found none")
    X, Y = network.data.arrays()
    if not 1 <= sample <= len(X):
        raise SymnnError(
            f"sample: expected a number from 1 to {len(X)} (the spec's samples), found {sample}"
        )
    return X[sample - 1], Y[sample - 1]
