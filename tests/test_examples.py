"""Every bundled spec in examples/ loads, and its generated gradients pass the three-way check."""

import csv
from pathlib import Path

import pytest

from symnn import train
from symnn.perceptron.run import train_perceptron
from symnn.spec.specfile import load_spec
from symnn.training.check import check_gradients
from symnn.training.config import load_training

SPECS = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.toml"))


def test_examples_exist():
    names = {p.stem for p in SPECS}
    assert {"two_two_two", "xor", "iris", "deep_relu", "perceptron"} <= names


@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_example_loads_and_checks(spec):
    net = load_spec(spec)
    load_training(spec)
    report = check_gradients(net, samples=4)
    assert report.passed, report.table()


def test_perceptron_examples_separate_their_points():
    spec = SPECS[0].parent / "perceptron.toml"
    result = train(load_spec(spec), config=load_training(spec), progress=False)
    assert result.accuracy[-1] == 1.0
    with (SPECS[0].parent / "perceptron_points.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    points = [(float(r["x1"]), float(r["x2"])) for r in rows]
    labels = [int(r["label"]) for r in rows]
    assert train_perceptron(points, labels).converged
