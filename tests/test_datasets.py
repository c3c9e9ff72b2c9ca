"""Bundled datasets, the shipped Iris file, and reading a user's CSV."""

import hashlib

import numpy as np
import pytest

from symnn.core.csvdata import load_csv
from symnn.core.errors import SymnnError
from symnn.spec.network import Dense, Network
from symnn.training.datasets import DATA_DIR, DATASETS, dataset_from_csv, load_dataset


def test_gates_are_their_truth_tables():
    tables = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "nand": [1, 1, 1, 0], "xor": [0, 1, 1, 0]}
    for name, column in tables.items():
        gate = load_dataset(name)
        assert gate.X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
        logic = {"and": np.logical_and, "or": np.logical_or, "xor": np.logical_xor}
        expected = (
            ~np.logical_and(gate.X[:, 0], gate.X[:, 1])
            if name == "nand"
            else logic[name](gate.X[:, 0], gate.X[:, 1])
        )
        assert gate.targets("binary").ravel().tolist() == column == expected.astype(int).tolist()


def test_iris_is_fishers_data():
    iris = load_dataset("iris")
    assert iris.X.shape == (150, 4)
    assert np.bincount(iris.labels).tolist() == [50, 50, 50]
    assert iris.classes == ("setosa", "versicolor", "virginica")
    assert iris.feature_names == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    # Well-known rows: the first flower, the first versicolor, the last flower.
    assert iris.X[0].tolist() == [5.1, 3.5, 1.4, 0.2] and iris.labels[0] == 0
    assert iris.X[50].tolist() == [7.0, 3.2, 4.7, 1.4] and iris.labels[50] == 1
    assert iris.X[149].tolist() == [5.9, 3.0, 5.1, 1.8] and iris.labels[149] == 2
    # Fisher's version (as in R), not UCI's: sample 35 is 4.9,3.1,1.5,0.2 and 38 is 4.9,3.6,1.4,0.1
    assert iris.X[34].tolist() == [4.9, 3.1, 1.5, 0.2]
    assert iris.X[37].tolist() == [4.9, 3.6, 1.4, 0.1]
    assert iris.X.mean(axis=0).round(2).tolist() == [5.84, 3.06, 3.76, 1.2]
    data = (DATA_DIR / "iris.csv").read_bytes()
    recorded = (DATA_DIR / "README.md").read_text()
    assert hashlib.sha256(data).hexdigest() in recorded


@pytest.mark.parametrize("name", ["moons", "circles", "spirals", "blobs"])
def test_generators_are_seeded(name):
    a, b = load_dataset(name, seed=3), load_dataset(name, seed=3)
    c = load_dataset(name, seed=4)
    assert np.array_equal(a.X, b.X) and not np.array_equal(a.X, c.X)
    assert a.X.shape[1] == 2 and len(a.labels) == len(a.X)
    assert set(np.bincount(a.labels)) <= {len(a.X) // len(a.classes), -(-len(a.X) // 3)}
    assert load_dataset(name, n=31, seed=0).X.shape == (31, 2)


def test_generator_geometry():
    circles = load_dataset("circles", noise=0.0)
    radius = np.hypot(*circles.X.T)
    assert np.allclose(radius[circles.labels == 0], 1.0)
    assert np.allclose(radius[circles.labels == 1], 0.5)
    moons = load_dataset("moons", noise=0.0, n=20)
    upper = moons.X[moons.labels == 0]
    assert np.allclose(np.hypot(*upper.T), 1.0) and np.all(upper[:, 1] >= -1e-12)
    blobs = load_dataset("blobs", noise=0.01, centers=4)
    assert np.allclose(blobs.X[blobs.labels == 1].mean(axis=0), [0.0, 2.0], atol=0.01)
    spirals = load_dataset("spirals", noise=0.0, n=30, classes=3)
    assert np.all(np.hypot(*spirals.X.T) <= 1.0 + 1e-12)


def test_targets_fit_the_network():
    xor = load_dataset("xor")
    assert xor.targets_for(Network(2, [Dense(1, "sigmoid")], "squared_error")).shape == (4, 1)
    signed = xor.targets_for(Network(2, [Dense(1)], "hinge"))
    assert sorted(set(signed.ravel())) == [-1.0, 1.0]
    two = xor.targets_for(Network(2, [Dense(2)], "softmax_cross_entropy"))
    assert two.tolist() == [[1, 0], [0, 1], [0, 1], [1, 0]]
    with pytest.raises(SymnnError, match="the network takes 3 inputs, the data has 2"):
        xor.targets_for(Network(3, [Dense(1)], "mse"))
    with pytest.raises(SymnnError, match="3 classes need a network with 3 outputs, found 1"):
        load_dataset("iris").targets_for(Network(4, [Dense(1)], "mse"))
    with pytest.raises(SymnnError, match="need two classes"):
        load_dataset("iris").targets("binary")


def test_standardized_features():
    iris = load_dataset("iris").standardized()
    assert np.allclose(iris.X.mean(axis=0), 0) and np.allclose(iris.X.std(axis=0), 1)


def test_unknown_names_and_fixed_datasets():
    with pytest.raises(SymnnError, match="unknown dataset 'mnist'; known: and, or, nand, xor"):
        load_dataset("mnist")
    with pytest.raises(SymnnError, match="dataset .iris. is fixed"):
        load_dataset("iris", n=10)
    assert list(DATASETS) == [
        "and", "or", "nand", "xor", "moons", "circles", "spirals", "blobs", "iris"
    ]  # fmt: skip


def test_csv_columns_by_name_and_index(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,c,label\n1,2,3,0\n4,5,6,1\n\n7,8,9,0\n")
    X, Y, info = load_csv(path)
    assert X.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]] and Y.ravel().tolist() == [0, 1, 0]
    X, Y, info = load_csv(path, ["c", 0], [1, "label"])
    assert X[:, 0].tolist() == [3, 6, 9] and Y.tolist() == [[2, 0], [5, 1], [8, 0]]
    assert info["x_names"] == ["c", "a"] and info["y_names"] == ["b", "label"]
    X, Y, info = load_csv(path, ["0", "1"], ["-1"], one_hot=True)
    assert Y.tolist() == [[1, 0], [0, 1], [1, 0]] and info["classes"] == ["0", "1"]
    plain = tmp_path / "plain.csv"
    plain.write_text("1,2,10\n3,4,2\n5,6,10\n")
    X, Y, info = load_csv(plain, one_hot=True)
    assert info["classes"] == ["2", "10"]  # numeric labels sort as numbers
    assert Y.tolist() == [[0, 1], [1, 0], [0, 1]]
    ds = dataset_from_csv(path, ["a", "b"], "label")
    assert ds.X.shape == (3, 2) and ds.labels.tolist() == [0, 1, 0]


def test_csv_errors_point_at_the_problem(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,label\n1,2,0\n4,x,1\n")
    with pytest.raises(
        SymnnError, match=r"d.csv: line 3, column 'b': expected a number, found 'x'"
    ):
        load_csv(path)
    path.write_text("a,b,label\n1,2,0\n4,5\n")
    with pytest.raises(SymnnError, match=r"line 3: expected 3 values, found 2 \(ragged row\)"):
        load_csv(path)
    path.write_text("a,b,label\n1,2,0\n")
    with pytest.raises(SymnnError, match="unknown column 'z'; known: a, b, label"):
        load_csv(path, ["z"])
    with pytest.raises(SymnnError, match="column 5: expected an index from 0 to 2"):
        load_csv(path, [5])
    with pytest.raises(SymnnError, match="expected one label column, found 2"):
        load_csv(path, ["a"], ["b", "label"], one_hot=True)
    with pytest.raises(SymnnError, match="missing.csv: no such file"):
        load_csv(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text("\n")
    with pytest.raises(SymnnError, match="empty file"):
        load_csv(tmp_path / "empty.csv")


def test_csv_byte_order_mark_and_repeated_names(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text("a,b,label\n1,2,cat\n3,4,dog\n", encoding="utf-8-sig")
    X, Y, info = load_csv(path, ["a"], ["label"], one_hot=True)
    assert info["x_names"] == ["a"] and X.tolist() == [[1.0], [3.0]]
    path.write_text("a,a,y\n1,2,3\n")
    with pytest.raises(SymnnError, match="expected each column name once, found 'a'"):
        load_csv(path)
