"""TOML spec files: the documented format loads, and mistakes name file, key and value."""

import pytest

from symnn.core.errors import SymnnError
from symnn.spec.specfile import load_spec

GOOD = """
name = "2-2-2 worked example"
inputs = 2
loss = "squared_error"
learning_rate = 0.5

[[layers]]
units = 2
activation = "sigmoid"
weights = [[0.15, 0.20], [0.25, 0.30]]
bias = [0.35, 0.35]
trainable_bias = false

[[layers]]
units = 2
activation = "leaky_relu"
activation_params = { slope = 0.1 }
weights = [[0.40, 0.45], [0.50, 0.55]]
bias = false

[data]
x = [[0.05, 0.10]]
y = [[0.01, 0.99]]
"""


def write(tmp_path, text):
    path = tmp_path / "net.toml"
    path.write_text(text)
    return path


def test_documented_format_loads(tmp_path):
    net = load_spec(write(tmp_path, GOOD))
    assert net.widths == (2, 2, 2)
    assert net.name == "2-2-2 worked example"
    assert net.learning_rate == 0.5
    assert net.layers[0].trainable_bias is False
    assert net.layers[1].has_bias is False
    assert net.layers[1].activation_params == {"slope": 0.1}
    assert net.data.arrays()[0].shape == (1, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("inputs = 2\n[[layers]\nunits = 1", "not valid TOML"),
        ("[[layers]]\nunits = 1", "inputs: required key is missing"),
        ("inputs = 2", "layers: required key is missing"),
        (
            "inputs = 2\nlayer = 1\n[[layers]]\nunits = 1",
            "unknown key 'layer'; known: name, inputs",
        ),
        ("inputs = 2\n[[layers]]\nunit = 1", "layers[1]: unknown key 'unit'; known: units"),
        ("inputs = 2\n[[layers]]\nactivation = 'relu'", "layers[1].units: required key is missing"),
        ("inputs = '2'\n[[layers]]\nunits = 1", "inputs: expected a positive integer, found '2'"),
        (
            "inputs = 2\n[[layers]]\nunits = 1.5",
            "layers[1].units: expected a positive integer, found 1.5",
        ),
        (
            "inputs = 2\n[[layers]]\nunits = 1\nweights = [[1, nan]]",
            "expected a finite number, found nan",
        ),
        ("inputs = 2\n[[layers]]\nunits = 1\n[data]\nx = [[1, 2]]", "data: expected both x and y"),
        ("inputs = 2\nlayers = 3", "layers: expected a list of [[layers]] tables, found 3"),
        (
            "inputs = 4\ninput_shape = [3]\n[[layers]]\nunits = 1",
            "input_shape: expected a shape whose sizes multiply to inputs = 4, found [3]",
        ),
        (
            "inputs = 4\ninput_shape = [2, 0]\n[[layers]]\nunits = 1",
            "input_shape[1]: expected a positive integer, found 0",
        ),
        ("inputs = 4\ninput_shape = 4\n[[layers]]\nunits = 1", "input_shape: expected a list"),
    ],
)
def test_bad_files_name_file_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(SymnnError) as error:
        load_spec(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_input_shape_gives_the_block_shapes(tmp_path):
    text = "inputs = 4\ninput_shape = [1, 2, 2]\n[[layers]]\nunits = 3"
    net = load_spec(write(tmp_path, text))
    assert net.input_shape == (1, 2, 2)
    assert net.block_shapes == ((1, 2, 2), (3,))
    assert load_spec(write(tmp_path, "inputs = 4\n[[layers]]\nunits = 3")).block_shapes == (
        (4,),
        (3,),
    )


def test_missing_file(tmp_path):
    with pytest.raises(SymnnError, match="no such file"):
        load_spec(tmp_path / "absent.toml")
