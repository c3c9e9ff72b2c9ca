"""The engine's shortcuts around SymPy constructors build exactly what SymPy builds."""

from __future__ import annotations

import pickle

import sympy as sp

from symnn.core import notation as nt
from symnn.core.graph import product, symbol_array, symbols_read, weighted_sum
from symnn.engine.backprop import Backprop
from symnn.spec.build import build_graph
from symnn.spec.network import Dense, Network


def test_real_symbol_is_sympys_symbol():
    fast, slow = nt.real_symbol("w_3_2_1"), sp.Symbol("w_3_2_1", real=True)
    assert fast == slow and slow == fast and hash(fast) == hash(slow)
    assert sp.srepr(fast) == sp.srepr(slow)
    assert fast._assumptions0 == slow._assumptions0
    assert fast._assumptions == slow._assumptions
    assert fast.is_real and fast.is_positive is None and fast.is_zero is None
    assert pickle.loads(pickle.dumps(fast)) == slow
    assert (fast**2).diff(slow) == 2 * slow
    # each has its own facts: what one learns is not written into another's
    other = nt.real_symbol("q")
    assert other._assumptions is not fast._assumptions
    assert nt.w(1, 2, 3) == sp.Symbol("w_1_2_3", real=True)


def test_symbol_array_is_sympys_array():
    rows = [[nt.w(1, j, k) for k in range(1, 4)] for j in range(1, 3)]
    fast = symbol_array([s for row in rows for s in row], (2, 3))
    slow = sp.Array(rows)
    assert fast == slow and hash(fast) == hash(slow) and fast.shape == slow.shape
    assert fast.tolist() == slow.tolist() and fast[1, 2] == slow[1, 2]
    assert fast.transpose() == slow.transpose()
    vector = symbol_array([nt.b(1, 1), nt.b(1, 2)], (2,))
    assert vector == sp.Array([nt.b(1, 1), nt.b(1, 2)]) and vector.shape == (2,)


def test_symbols_read_agrees_with_sympy():
    x, y, w, b = (sp.Symbol(n, real=True) for n in "xywb")
    d = sp.Dummy("d")
    for expr in [
        x,
        w * x + b,
        weighted_sum([product(w, x), product(y, x)], [b]),
        2 * w * x + sp.sin(y) + 3,
        x**2 + d * y,
        sp.Mul(w, x, y),
        sp.exp(x),
        sp.Integer(3),
    ]:
        for order in ([x, y, w, b, d], [d, b, w, y, x], [w, x]):  # d, b, y are not always known
            positions = {s: i for i, s in enumerate(order)}
            known = expr.free_symbols & positions.keys()
            expected = tuple(sorted(known, key=positions.__getitem__))
            assert symbols_read(expr, positions) == expected, (expr, order)


def test_fast_partials_agree_with_diff():
    net = Network(3, [Dense(4, "tanh"), Dense(2, "sigmoid")], "squared_error")
    graph = build_graph(net)
    bp = Backprop(graph)
    for d in graph.definitions:
        for parent in graph.parents(d):
            assert sp.simplify(bp.local(d, parent).raw - d.expr.diff(parent)) == 0
    assert graph.parents(graph.definitions[0]) == sorted(
        graph.definitions[0].expr.free_symbols, key=graph._positions.__getitem__
    )


def test_derivation_runs_with_the_collector_paused():
    """Building, walking and generating code start no garbage-collection pass (each walked every
    live object: 35-40% of derive + compile at 784-128-10); the collector is back on after."""
    import gc

    from symnn.codegen.element import element_source

    passes = []

    def count(phase, info):
        if phase == "start":
            passes.append(info["generation"])

    net = Network(64, [Dense(32, "relu"), Dense(10, "identity")], "softmax_cross_entropy")
    gc.collect()
    gc.callbacks.append(count)
    try:
        bp = Backprop(build_graph(net))
        passes.clear()  # the one pass right after build_graph's objects were made
        bp.adjoints, bp.gradients  # noqa: B018 - cached properties: the walk
        element_source(bp, layout="layers")
    finally:
        gc.callbacks.remove(count)
    assert gc.isenabled()
    assert len(passes) <= 3, passes  # the pass after each bulk step (walk, gradients, code); was 42
