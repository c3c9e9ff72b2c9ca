"""Network specs from TOML files (stdlib ``tomllib``), with errors naming file, key and value.

name = "2-2-2 worked example"     # optional
inputs = 2
loss = "squared_error"
learning_rate = 0.5               # optional
notation = "layered"              # optional: layered | neuron
input_shape = [1, 2]              # optional: the input's shape (C, H, W; T, d; …), row-major

[[layers]]
kind = "dense"                           # optional: dense (default), add, concat
name = "hidden"                          # optional: later layers' inputs can name it
units = 2
activation = "sigmoid"
weights = [[0.15, 0.20], [0.25, 0.30]]   # optional; rows = units of this layer
bias = [0.35, 0.35]                      # optional; or false for no bias
trainable_bias = false                   # optional

[data]                                   # optional; samples as rows
x = [[0.05, 0.10]]
y = [[0.01, 0.99]]
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Mapping
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from symnn.core.errors import SymnnError
from symnn.layers.base import LAYERS, lookup
from symnn.spec.network import Data, Dense, Network

TOP_KEYS = (
    "name",
    "inputs",
    "loss",
    "loss_params",
    "learning_rate",
    "notation",
    "input_shape",
    "layers",
    "data",
    "train",
)
LAYER_KEYS = tuple(f.name for f in fields(Dense)) + ("kind",)  # a dense layer's keys
DATA_KEYS = ("x", "y")


def _check_keys(table: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in known:
            raise SymnnError(f"{where}unknown key {key!r}; known: {', '.join(known)}")


def _table(value: object, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SymnnError(f"{key}: expected a table, found {value!r}")
    return value


def _layer(table: Mapping[str, Any], index: int):
    """One [[layers]] table as its layer kind (``kind = "dense"`` unless it says otherwise)."""
    key = f"layers[{index}]"
    cls = lookup(LAYERS, table.get("kind", "dense"), f"{key}.kind")
    names = [f.name for f in fields(cls)]
    _check_keys(table, (*names, "kind"), f"{key}: ")
    for f in fields(cls):
        if f.default is MISSING and f.default_factory is MISSING and f.name not in table:
            raise SymnnError(f"{key}.{f.name}: required key is missing")
    values = {k: v for k, v in table.items() if k != "kind"}
    if "activation_params" in values:
        values["activation_params"] = dict(
            _table(values["activation_params"], f"{key}.activation_params")
        )
    if "inputs" in values:
        if not isinstance(values["inputs"], list):
            raise SymnnError(
                f"{key}.inputs: expected a list of layer names, found {values['inputs']!r}"
            )
        values["inputs"] = tuple(values["inputs"])
    return cls(**values)


def network_from_dict(spec: Mapping[str, Any]) -> Network:
    """A Network from the parsed contents of a spec file (or an equivalent dict)."""
    _check_keys(spec, TOP_KEYS, "")
    for required in ("inputs", "layers"):
        if required not in spec:
            raise SymnnError(f"{required}: required key is missing")
    layers = spec["layers"]
    if not isinstance(layers, list):
        raise SymnnError(f"layers: expected a list of [[layers]] tables, found {layers!r}")
    built = [_layer(_table(layer, f"layers[{i}]"), i) for i, layer in enumerate(layers, start=1)]
    data = None
    if "data" in spec:
        table = _table(spec["data"], "data")
        _check_keys(table, DATA_KEYS, "data: ")
        if "x" not in table or "y" not in table:
            raise SymnnError("data: expected both x and y")
        data = Data(table["x"], table["y"])
    return Network(
        inputs=spec["inputs"],
        layers=built,
        loss=spec.get("loss", "squared_error"),
        loss_params=dict(_table(spec.get("loss_params", {}), "loss_params")),
        name=spec.get("name", ""),
        data=data,
        learning_rate=spec.get("learning_rate"),
        notation=spec.get("notation", "layered"),
        input_shape=spec.get("input_shape"),
    )


_STDIN: list[bytes] = []


def _stdin_bytes() -> bytes:
    # `symnn train -` reads the spec twice (network, then [train]); standard input only once.
    if not _STDIN:
        _STDIN.append(sys.stdin.buffer.read())
    return _STDIN[0]


def resolve_spec(path: str | Path) -> Path:
    """The file a spec argument names: the path itself, else a bundled example of that name."""
    from symnn.spec.examples import example_path, is_example_name

    candidate = Path(path)
    if not candidate.exists() and is_example_name(str(path)):
        return example_path(str(path))
    return candidate


def read_spec(path: str | Path) -> dict[str, Any]:
    """The parsed TOML of a spec file; errors name the file.

    ``path`` may be a file, the name of a bundled example (``two_two_two``, see ``symnn
    examples``), or ``-`` for standard input.
    """
    if str(path) == "-":
        try:
            return tomllib.loads(_stdin_bytes().decode("utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise SymnnError(f"<stdin>: not valid TOML: {error}") from None
        except UnicodeDecodeError as error:
            raise SymnnError(f"<stdin>: cannot read: {error}") from None
    path = resolve_spec(path)
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except FileNotFoundError:
        from symnn.spec.examples import example_names

        hint = f" (bundled examples, by name: {', '.join(example_names())})"
        raise SymnnError(f"{path}: no such file{hint}") from None
    except tomllib.TOMLDecodeError as error:
        raise SymnnError(f"{path}: not valid TOML: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SymnnError(f"{path}: cannot read: {error}") from None
    except RecursionError:
        raise SymnnError(f"{path}: arrays or tables nested too deeply to be a spec") from None


def load_spec(path: str | Path) -> Network:
    """Read and validate a TOML spec file.

    Examples:
        >>> import pathlib, tempfile
        >>> spec = pathlib.Path(tempfile.mkdtemp()) / "net.toml"
        >>> _ = spec.write_text('inputs = 2\\n[[layers]]\\nunits = 1\\nactivation = "sigmoid"\\n')
        >>> load_spec(spec).widths
        (2, 1)
    """
    try:
        return network_from_dict(read_spec(path))
    except SymnnError as error:
        message = str(error)
        label = "<stdin>" if str(path) == "-" else path
        raise SymnnError(
            message if message.startswith(f"{label}:") else f"{label}: {message}"
        ) from None
