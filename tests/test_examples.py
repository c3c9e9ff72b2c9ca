"""Every bundled spec in examples/ loads, and its generated gradients pass the three-way check."""

from pathlib import Path

import pytest

from symnn.check import check_gradients
from symnn.specfile import load_spec, load_training

SPECS = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.toml"))


def test_examples_exist():
    names = {p.stem for p in SPECS}
    assert {"two_two_two", "xor", "iris", "deep_relu"} <= names


@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_example_loads_and_checks(spec):
    net = load_spec(spec)
    load_training(spec)
    report = check_gradients(net, samples=4)
    assert report.passed, report.table()
