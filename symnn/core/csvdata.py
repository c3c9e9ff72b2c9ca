"""Reading a user's CSV file into inputs and targets, with errors that point at the cell.

The first row is a header when any of its cells is not a number. Columns are chosen by header
name or by 0-based index; by default the last column is the target and the others are inputs.
With ``one_hot`` the (single) target column holds class labels (any text) and becomes one 0/1
column per class, classes in sorted order (numerically when every label is a number).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from symnn.core.errors import SymnnError

Column = str | int


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_rows(path: str | Path) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """The header (or None) and the data rows with their line numbers; ragged rows fail."""
    path = Path(path)
    try:
        # utf-8-sig drops the byte-order mark that Excel puts before the first header name.
        with path.open(newline="", encoding="utf-8-sig") as stream:
            rows = [
                (number, [cell.strip() for cell in row])
                for number, row in enumerate(csv.reader(stream), start=1)
                if row and any(cell.strip() for cell in row)
            ]
    except FileNotFoundError:
        raise SymnnError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise SymnnError(f"{path}: cannot read as CSV: {error}") from None
    if not rows:
        raise SymnnError(f"{path}: expected rows of comma-separated values, found an empty file")
    header = None
    if not all(_is_number(cell) for cell in rows[0][1]):
        header = rows.pop(0)[1]
        repeated = sorted({name for name in header if header.count(name) > 1})
        if repeated:
            raise SymnnError(
                f"{path}: header: expected each column name once, found "
                f"{', '.join(repr(name) for name in repeated)} more than once"
            )
    if not rows:
        raise SymnnError(f"{path}: expected data rows after the header, found none")
    width = len(header) if header is not None else len(rows[0][1])
    for number, row in rows:
        if len(row) != width:
            raise SymnnError(
                f"{path}: line {number}: expected {width} values, found {len(row)} (ragged row)"
            )
    return header, rows


def _index(column: Column, header: list[str] | None, width: int, path: Path) -> int:
    if isinstance(column, str) and header is not None and column in header:
        return header.index(column)
    digits = column.lstrip("-") if isinstance(column, str) else ""
    if digits.isascii() and digits.isdigit() and len(digits) <= 12:  # not '²' (isdigit, not int)
        column = int(column)
    if isinstance(column, int) and not isinstance(column, bool):
        if -width <= column < width:
            return column % width
        raise SymnnError(f"{path}: column {column}: expected an index from 0 to {width - 1}")
    known = ", ".join(header) if header else f"indices 0 to {width - 1} (the file has no header)"
    raise SymnnError(f"{path}: unknown column {column!r}; known: {known}")


def _numbers(rows, index: int, name: str, path: Path) -> np.ndarray:
    values = []
    for number, row in rows:
        try:
            values.append(float(row[index]))
        except ValueError:
            raise SymnnError(
                f"{path}: line {number}, column {name!r}: expected a number, found {row[index]!r}"
            ) from None
    column = np.array(values)
    if not np.all(np.isfinite(column)):
        raise SymnnError(f"{path}: column {name!r}: expected finite numbers, found nan or inf")
    return column


def _label_order(labels: Sequence[str]) -> list[str]:
    distinct = sorted(set(labels))
    if all(_is_number(label) for label in distinct):
        return sorted(distinct, key=float)
    return distinct


def load_csv(
    path: str | Path,
    x_columns: Sequence[Column] | None = None,
    y_columns: Sequence[Column] | None = None,
    one_hot: bool = False,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Inputs X, targets Y and a description (column names, class names) from a CSV file.

    Examples:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
        >>> _ = path.write_text("a,b,kind\\n1,2,cat\\n3,4,dog\\n5,6,cat\\n")
        >>> X, Y, info = load_csv(path, ["a", 1], ["kind"], one_hot=True)
        >>> X.tolist(), Y.tolist(), info["classes"]
        ([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], ['cat', 'dog'])
    """
    path = Path(path)
    header, rows = read_rows(path)
    width = len(rows[0][1])
    names = header or [str(i) for i in range(width)]
    ys = [width - 1] if y_columns is None else [_index(c, header, width, path) for c in y_columns]
    if x_columns is None:
        xs = [i for i in range(width) if i not in ys]
    else:
        xs = [_index(c, header, width, path) for c in x_columns]
    if not xs or not ys:
        raise SymnnError(f"{path}: expected at least one input and one target column")
    X = np.stack([_numbers(rows, i, names[i], path) for i in xs], axis=1)
    info: dict = {"x_names": [names[i] for i in xs], "y_names": [names[i] for i in ys]}
    if one_hot:
        if len(ys) != 1:
            raise SymnnError(
                f"{path}: one-hot targets: expected one label column, found {len(ys)} columns"
            )
        labels = [row[ys[0]] for _, row in rows]
        classes = _label_order(labels)
        position = {label: k for k, label in enumerate(classes)}
        Y = np.eye(len(classes))[[position[label] for label in labels]]
        info["classes"] = classes
    else:
        Y = np.stack([_numbers(rows, i, names[i], path) for i in ys], axis=1)
    return X, Y, info
