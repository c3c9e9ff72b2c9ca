"""Registry-driven checks: every activation and loss rule, enrolled by registering it."""

import numpy as np
import pytest
import sympy as sp

from symnn import numerics
from symnn.core.errors import SymnnError
from symnn.core.functions import Softmax, to_elementary
from symnn.core.registry import Registry
from symnn.printing.code import CodePrinter
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.losses import LOSSES
from symnn.training import oracle

z = sp.Symbol("z", real=True)
POINTS = [-2.3, -0.4, 0.3, 1.7]


def _defaults(entry):
    return {k: sp.Float(v) for k, v in entry.defaults.items()}


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if ACTIVATIONS[n].elementwise])
def test_activation_derivative_matches_its_definition(name):
    """fdiff (the rule beside the definition) equals SymPy's derivative of the elementary form."""
    entry = ACTIVATIONS[name]
    (f,) = entry.apply([z], _defaults(entry))
    rule = to_elementary(sp.diff(f, z))
    reference = sp.diff(to_elementary(f), z)
    for point in POINTS:
        assert float(rule.subs(z, point)) == pytest.approx(
            float(reference.subs(z, point)), abs=1e-12
        )


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if ACTIVATIONS[n].elementwise])
def test_activation_numpy_matches_its_definition(name):
    """The stable NumPy implementation equals the elementary form, and stays finite at ±1000."""
    entry = ACTIVATIONS[name]
    (f,) = entry.apply([z], _defaults(entry))
    code = CodePrinter({z: "v"}).doprint(f)
    namespace = {"numpy": np, **numerics.NAMESPACE}
    values = eval(code, namespace, {"v": np.array(POINTS)})  # our own generated code
    expected = [float(to_elementary(f).subs(z, p)) for p in POINTS]
    np.testing.assert_allclose(values, expected, rtol=1e-13, atol=1e-15)
    extreme = eval(code, namespace, {"v": np.array([-1000.0, 1000.0])})
    assert np.all(np.isfinite(extreme))


def test_softmax_derivative_is_s_delta_minus_s():
    zs = sp.symbols("z1:4", real=True)
    s = [Softmax(i, *zs) for i in (1, 2, 3)]
    for i in range(3):
        for k in range(3):
            rule = to_elementary(sp.diff(s[i], zs[k]))
            reference = sp.diff(to_elementary(s[i]), zs[k])
            point = {zs[0]: 0.3, zs[1]: -1.2, zs[2]: 2.0}
            assert float(rule.subs(point)) == pytest.approx(float(reference.subs(point)), abs=1e-14)


def test_softmax_numpy_is_stable():
    values = [numerics.softmax_unit(i, 1000.0, -1000.0, 999.0) for i in (1, 2, 3)]
    assert np.all(np.isfinite(values)) and sum(values) == pytest.approx(1.0)
    assert numerics.logsumexp(1000.0, 999.0) == pytest.approx(1000.0 + np.log1p(np.exp(-1.0)))


@pytest.mark.parametrize("name", LOSSES.names())
def test_loss_derivative_matches_its_definition(name):
    entry = LOSSES[name]
    outputs = sp.symbols("o1:3", real=True)
    targets = sp.symbols("t1:3", real=True)
    loss = entry.build(outputs, targets, _defaults(entry))
    point = {outputs[0]: 0.3, outputs[1]: 0.6, targets[0]: 0.4, targets[1]: 0.6}
    if "labels" in entry.targets:
        point |= {targets[0]: 1.0, targets[1]: -1.0}
    for o in outputs:
        rule = to_elementary(sp.diff(loss, o)).subs(point)
        reference = sp.diff(to_elementary(loss), o).subs(point)
        assert float(rule) == pytest.approx(float(reference), abs=1e-12)


def test_oracle_covers_every_registered_rule():
    if not oracle.available():
        pytest.skip("autograd is not installed (pip install -e '.[test]')")
    activations, losses = oracle.covered()
    assert set(ACTIVATIONS) <= activations
    assert set(LOSSES) <= losses


def test_unknown_names_list_the_known_ones():
    with pytest.raises(
        SymnnError, match=r"unknown activation 'sigmoud'; known: identity, step, sigmoid"
    ):
        ACTIVATIONS["sigmoud"]
    with pytest.raises(SymnnError, match=r"unknown loss 'l2'; known: squared_error, mse"):
        LOSSES["l2"]


def test_registry_refuses_a_name_twice():
    registry = Registry[int]("thing")
    registry.add("a", 1)
    with pytest.raises(ValueError, match="registered twice"):
        registry.add("a", 2)


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if ACTIVATIONS[n].elementwise])
def test_powers_of_rules_print(name):
    """σ(z)² and friends: the printer hands a power's exponent to the rule's LaTeX."""
    from symnn.printing.latex import tex

    entry = ACTIVATIONS[name]
    (f,) = entry.apply([z], _defaults(entry))
    if hasattr(f, "_tex"):  # symnn's own rules (SymPy prints tanh² itself)
        assert tex(f**2) == rf"\left({tex(f)}\right)^{{2}}"
