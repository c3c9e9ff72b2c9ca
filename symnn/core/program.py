"""Programs: short sequences of scalar assignments, read safely into named nodes of a graph.

A program is the first lesson on backprop written out (micrograd's README, the CS231n notes)::

    a = -4            # a name given a number is an input, with that value
    b = 2
    c = a + b         # every other assignment is a node of the graph
    d = a*b + b**3
    e = relu(c - d)

Each statement is parsed with the same whitelist as ``symnn.core.expressions`` (never evaluated),
extended with ``relu``, ``max``, ``min`` and ``step``; ``^`` is power; ``e`` is a name like any
other (Euler's number is ``exp(1)``), ``pi`` is π. Each name is assigned once;
the last assignment (or a named one) is the output. With ``gates=True`` every composite expression
is split into primitive gates (``*``, ``+``, ``exp``, ``+1``, ``1/x``, …), each its own node, named
after the assignment it belongs to (``f_1``, ``f_2``, …). Errors name the line and column.

Examples:
    >>> p = parse_program("x = 3\\ny = 2\\nf = x*y + 1", gates=True)
    >>> [(str(n.symbol), str(n.expr), n.gate) for n in p.nodes]
    [('f_1', 'x*y', '*'), ('f', 'f_1 + 1', '+1')]
    >>> parse_program("x = 1\\ny = x + z")
    Traceback (most recent call last):
    ...
    symnn.core.errors.SymnnError: line 2, column 9: unknown name 'z'; known: x
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.expressions import (
    _BINARY,
    FUNCTIONS,
    MAX_NODES,
    MathFunction,
    _Builder,
    as_number,
    check_name,
)
from symnn.core.functions import Maximum, Minimum, ReLU, Step
from symnn.core.graph import NODE_KINDS, NodeKind

# A program's node: a named scalar whose adjoint is ∂output/∂node, its local step the gate's local
# gradient; like an activation, its expression reads as its name in later derivatives (exp(d) = e).
PROGRAM_VALUE = NODE_KINDS.add(
    "program_value",
    NodeKind(
        "program_value",
        nt.program_adjoint,
        "local_gradient",
        "program value",
        "v",
        "grad",
        names_expression=True,
    ),
)

PROGRAM_FUNCTIONS: dict[str, MathFunction] = {
    **FUNCTIONS,
    "relu": MathFunction(ReLU),
    "step": MathFunction(Step),
    "max": MathFunction(Maximum, (2,)),
    "min": MathFunction(Minimum, (2,)),
}
# Programs name their nodes c, d, e, f, … as micrograd does, so e is a name here (e^x is exp(x)).
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi}
MAX_PROGRAM_LENGTH = 20_000
MAX_STATEMENTS = 200
_STATEMENT_NAMES = {
    ast.Expr: "an expression without an assignment (write 'name = expression')",
    ast.AnnAssign: "annotated assignment",
    ast.If: "'if'",
    ast.For: "'for'",
    ast.While: "'while'",
    ast.FunctionDef: "'def'",
    ast.Import: "'import'",
    ast.ImportFrom: "'import'",
    ast.Return: "'return'",
    ast.Delete: "'del'",
}
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}


@dataclass(frozen=True)
class Node:
    """``symbol := expr``, from ``line``:``column`` of the program; ``gate`` labels a primitive
    operation (``*``, ``+1``, ``exp``, ``max``) and is "" for a composite expression."""

    symbol: sp.Symbol
    expr: sp.Expr
    gate: str
    line: int
    column: int
    source: str


@dataclass(frozen=True)
class Program:
    """Inputs with their values, and the nodes in program order ending in the output."""

    inputs: tuple[sp.Symbol, ...]
    values: tuple[sp.Expr, ...]
    nodes: tuple[Node, ...]
    text: str = ""
    gates: bool = False  # split into primitive gates

    @property
    def output(self) -> sp.Symbol:
        return self.nodes[-1].symbol

    @property
    def input_values(self) -> dict[sp.Symbol, sp.Expr]:
        return dict(zip(self.inputs, self.values, strict=True))

    def node(self, name: str | sp.Symbol) -> Node:
        for n in self.nodes:
            if n.symbol.name == str(name):
                return n
        raise SymnnError(
            f"no node {str(name)!r}; nodes: {', '.join(n.symbol.name for n in self.nodes)}"
        )

    def inlined(self) -> sp.Expr:
        """The output written out in the inputs alone (for checks against ``sympy.diff``)."""
        expr: sp.Expr = self.output
        for n in reversed(self.nodes):
            if expr.has(n.symbol):
                expr = expr.xreplace({n.symbol: n.expr})
        return expr


def symbol(name: str) -> sp.Symbol:
    """The real symbol of a program's name (the one ``parse_expression`` gives, and ``e``)."""
    return sp.Symbol(check_name(name) if name != "e" else name, real=True)


def _columns(original: str) -> list[int]:
    """For each character of a line with ``^`` written as ``**``, its column in the original."""
    cols = []
    for i, ch in enumerate(original):
        cols += [i, i] if ch == "^" else [i]
    cols.append(len(original))
    return cols


class _Reader:
    """Reads a program statement by statement into nodes, checking every name as it goes."""

    def __init__(self, text: str, values: Mapping[str, sp.Expr], gates: bool) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.converted = "\n".join(line.replace("^", "**") for line in self.lines)
        self.maps = [_columns(line) for line in self.lines]
        self.given = dict(values)
        self.gates = gates
        self.assigned: dict[str, int] = {}  # name -> line of its assignment (all statements)
        self.reads: dict[str, list[str]] = {}  # name -> names its expression reads
        self.defined: dict[str, sp.Symbol] = {}  # assigned so far, in order
        self.inputs: dict[str, sp.Expr] = {}  # input name -> value, in order of appearance
        self.nodes: list[Node] = []
        self.taken: set[str] = set()

    def where(self, node: ast.AST) -> tuple[int, int]:
        line = getattr(node, "lineno", 1)
        offset = getattr(node, "col_offset", 0)
        cols = self.maps[line - 1] if line - 1 < len(self.maps) else [offset]
        return line, cols[min(offset, len(cols) - 1)] + 1

    def fail(self, node: ast.AST, message: str) -> SymnnError:
        line, column = self.where(node)
        error = SymnnError(f"line {line}, column {column}: {message}")
        error.located = True  # type: ignore[attr-defined]  # inner nodes keep their own place
        return error

    def read(self) -> None:
        try:
            module = ast.parse(self.converted, mode="exec")
        except SyntaxError as error:
            line = error.lineno or 1
            cols = self.maps[line - 1] if line - 1 < len(self.maps) else [0]
            column = cols[min(max((error.offset or 1) - 1, 0), len(cols) - 1)] + 1
            raise SymnnError(f"line {line}, column {column}: not a program: {error.msg}") from None
        except (RecursionError, MemoryError, ValueError):
            raise SymnnError("program: too complex to read; expected shorter lines") from None
        if not module.body:
            raise SymnnError("program: expected assignments such as 'c = a + b', found none")
        if len(module.body) > MAX_STATEMENTS:
            raise SymnnError(f"program: {len(module.body)} statements; at most {MAX_STATEMENTS}")
        for stmt in module.body:
            self.taken |= {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
        targets = [self._target(stmt) for stmt in module.body]
        for stmt, name in zip(module.body, targets, strict=True):
            self.reads[name] = [
                n.id
                for n in ast.walk(stmt.value)
                if isinstance(n, ast.Name)
                and n.id not in CONSTANTS
                and not self._callee(stmt.value, n)
            ]
        for stmt, name in zip(module.body, targets, strict=True):
            self._statement(stmt, name)

    @staticmethod
    def _callee(tree: ast.AST, name: ast.Name) -> bool:
        return any(isinstance(n, ast.Call) and n.func is name for n in ast.walk(tree))

    def _target(self, stmt: ast.stmt) -> str:
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            op = _OPS.get(type(stmt.op), "?")
            name = stmt.target.id
            raise self.fail(
                stmt,
                f"{name!r} is assigned again with '{op}='; each name is assigned once "
                f"(write {name}2 = {name} {op} ...)",
            )
        if not isinstance(stmt, ast.Assign):
            what = _STATEMENT_NAMES.get(type(stmt), f"'{type(stmt).__name__}'")
            raise self.fail(stmt, f"unsupported syntax: {what}; expected 'name = expression'")
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            raise self.fail(stmt, "unsupported syntax: expected one name on the left of '='")
        target = stmt.targets[0]
        name = target.id
        if name in PROGRAM_FUNCTIONS or name in CONSTANTS:
            raise self.fail(target, f"{name!r} names a function or constant; choose another name")
        try:
            symbol(name)
        except SymnnError as error:
            raise self.fail(target, str(error)) from None
        if name in self.assigned:
            raise self.fail(
                target,
                f"{name!r} is assigned again (first on line {self.assigned[name]}); "
                "each name is assigned once",
            )
        self.assigned[name] = stmt.lineno
        if sum(1 for _ in ast.walk(stmt.value)) > MAX_NODES:
            raise self.fail(stmt, f"expression has more than {MAX_NODES} parts")
        return name

    def _cycle(self, start: str, target: str) -> list[str] | None:
        """A path of reads from ``start`` back to ``target`` (a cycle through the statement)."""
        stack, seen = [(start, [target, start])], set()
        while stack:
            name, path = stack.pop()
            if name == target:
                return path
            if name in seen:
                continue
            seen.add(name)
            for read in reversed(self.reads.get(name, [])):
                stack.append((read, [*path, read]))
        return None

    def resolve(self, name: str, node: ast.AST, target: str) -> sp.Symbol:
        if name in self.defined:
            return self.defined[name]
        if name == target:
            raise self.fail(node, f"cycle: {name!r} reads itself; assign a new name instead")
        if name in self.assigned:
            path = self._cycle(name, target)
            if path is not None:
                raise self.fail(node, f"cycle: {' -> '.join(path)}")
            raise self.fail(
                node, f"{name!r} is used before its assignment on line {self.assigned[name]}"
            )
        if name in self.given:
            self.inputs.setdefault(name, self.given[name])
            return symbol(name)
        known = ", ".join([*self.defined, *(n for n in self.given if n not in self.defined)])
        raise self.fail(node, f"unknown name {name!r}; known: {known or 'none'}")

    def _statement(self, stmt: ast.Assign, name: str) -> None:
        builder = _ProgramBuilder(self, stmt, name)
        segment = ast.get_source_segment(self.converted, stmt) or name
        if not self.reads[name]:  # a number: an input, unless given another value
            value = builder.build(stmt.value)
            if not value.is_real or not value.is_finite:
                raise self.fail(stmt.value, f"{name!r}: expected a finite real number")
            self.inputs[name] = self.given.get(name, value)
            self.defined[name] = symbol(name)
            return
        if name in self.given:
            raise self.fail(
                stmt,
                f"{name!r} is computed here, so it takes no input value; give values to inputs",
            )
        line, column = self.where(stmt)
        staged = _Stager(builder, name, self.taken).stage(stmt.value)
        if self.gates:
            for sym, expr, gate, where in staged:
                self.nodes.append(Node(sym, expr, gate, *self.where(where), segment))
        else:
            gate = staged[0][2] if len(staged) == 1 else ""
            expr = builder.build(stmt.value)
            self.nodes.append(Node(symbol(name), expr, gate, line, column, segment))
        self.defined[name] = symbol(name)


class _ProgramBuilder(_Builder):
    """The expression whitelist, with names checked against the program so far."""

    def __init__(self, reader: _Reader, stmt: ast.Assign, target: str) -> None:
        text = ast.get_source_segment(reader.converted, stmt.value) or target
        super().__init__(text, None, PROGRAM_FUNCTIONS)
        self.source = reader.converted
        self.reader = reader
        self.target = target

    def build(self, node: ast.AST) -> sp.Expr:
        try:
            if isinstance(node, ast.Name) and node.id not in CONSTANTS:
                if node.id in self.functions:
                    raise SymnnError(f"{node.id} is a function; write {node.id}(...)")
                return self.reader.resolve(node.id, node, self.target)
            return super().build(node)
        except SymnnError as error:
            if getattr(error, "located", False):
                raise
            raise self.reader.fail(node, str(error)) from None
        except RecursionError:
            raise self.reader.fail(node, "too deeply nested; expected a simpler formula") from None


class _Stager:
    """Splits one expression into primitive gates: (symbol, expression, label, AST node)."""

    def __init__(self, builder: _ProgramBuilder, target: str, taken: set[str]) -> None:
        self.builder = builder
        self.target = target
        self.taken = taken
        self.gates: list[tuple[sp.Symbol, sp.Expr, str, ast.AST]] = []
        self.count = 0

    def stage(self, tree: ast.expr) -> list[tuple[sp.Symbol, sp.Expr, str, ast.AST]]:
        root = self._operand(tree, root=True)
        if not self.gates or self.gates[-1][0] != root:
            # a bare name or number: one identity node
            self.gates.append((symbol(self.target), root, "=", tree))
        return self.gates

    def _fresh(self) -> sp.Symbol:
        while True:
            self.count += 1
            name = f"{self.target}_{self.count}"
            if name not in self.taken:
                self.taken.add(name)
                return symbol(name)

    def _constant(self, tree: ast.expr) -> bool:
        return not any(isinstance(n, ast.Name) and n.id not in CONSTANTS for n in ast.walk(tree))

    def _gate(self, expr: sp.Expr, label: str, tree: ast.AST, root: bool) -> sp.Symbol:
        sym = symbol(self.target) if root else self._fresh()
        self.gates.append((sym, expr, label, tree))
        return sym

    def _operand(self, tree: ast.expr, root: bool = False) -> sp.Expr:
        if isinstance(tree, ast.Name) or self._constant(tree):
            return self.builder.build(tree)
        if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.UAdd):
            return self._operand(tree.operand, root)
        if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub):
            x = self._operand(tree.operand)
            return self._gate(-x, "*-1", tree, root)
        if isinstance(tree, ast.BinOp) and type(tree.op) in _OPS:
            left, right = self._operand(tree.left), self._operand(tree.right)
            op = type(tree.op)
            if op is ast.Div and right == 0:
                raise self.builder.reader.fail(tree, "division by zero")
            expr = _BINARY[op](left, right) if op in _BINARY else left**right
            return self._gate(expr, _label(op, left, right), tree, root)
        if isinstance(tree, ast.Call):
            self.builder.build(tree)  # checks the function and its arity first
            args = [self._operand(arg) for arg in tree.args]
            name = tree.func.id  # type: ignore[attr-defined]  # checked by build
            return self._gate(PROGRAM_FUNCTIONS[name].build(*args), name, tree, root)
        return self.builder.build(tree)  # raises with the construct's name


def _number_text(value: sp.Expr) -> str:
    return str(value).replace("**", "^")


def _label(op: type, left: sp.Expr, right: sp.Expr) -> str:
    """A gate's label: the operator, or the operation with its constant (``+1``, ``1/x``)."""
    sign = _OPS[op]
    if not left.is_number and not right.is_number:
        return sign
    if right.is_number:
        c = _number_text(right)
        if op is ast.Add and right.is_negative:
            return f"-{_number_text(-right)}"
        if op is ast.Pow:
            return f"x^{c}"
        return f"{sign}{c}"
    c = _number_text(left)
    if op is ast.Add:
        return f"+{c}" if not left.is_negative else f"-{_number_text(-left)}"
    if op is ast.Mult:
        return f"*{c}"
    return f"{c}{sign}x"


def parse_program(
    text: str,
    values: Mapping[str, object] | str | None = None,
    output: str | None = None,
    gates: bool = False,
) -> Program:
    """A program from text: inputs with values, and its nodes in order, ending in the output.

    ``values`` gives inputs their values (a mapping, or text such as ``"a=-4, b=2"``), overriding
    those written in the program; ``output`` names the node to differentiate (default: the last);
    nodes it does not read are left out.

    Examples:
        >>> p = parse_program("c = a + b; d = c*c", "a=1, b=2")
        >>> p.inputs, p.values, p.output, p.inlined()
        ((a, b), (1, 2), d, (a + b)**2)
    """
    if not isinstance(text, str):
        raise SymnnError(f"program: expected text, found {type(text).__name__}")
    if len(text) > MAX_PROGRAM_LENGTH:
        raise SymnnError(f"program: {len(text)} characters; at most {MAX_PROGRAM_LENGTH}")
    given = parse_values(values)
    reader = _Reader(text, given, gates)
    reader.read()
    unused = [n for n in given if n not in reader.inputs and n not in reader.assigned]
    if unused:
        raise SymnnError(f"value given for {unused[0]!r}, which the program does not use")
    if not reader.nodes:
        raise SymnnError(
            "program: every assignment is a number; expected at least one computed node"
        )
    nodes = reader.nodes
    if output is not None:
        names = [n.symbol.name for n in nodes]
        if output not in names:
            what = "an input" if output in reader.inputs else "not assigned"
            raise SymnnError(f"output {output!r}: {what}; computed nodes: {', '.join(names)}")
        nodes = nodes[: names.index(output) + 1]
    needed = {nodes[-1].symbol}
    for n in reversed(nodes):
        if n.symbol in needed:
            needed |= n.expr.free_symbols
    nodes = [n for n in nodes if n.symbol in needed]
    inputs = tuple(symbol(n) for n in reader.inputs)
    values_in_order = tuple(reader.inputs[s.name] for s in inputs)
    return Program(inputs, values_in_order, tuple(nodes), text.strip(), gates)


def load_program(
    path: str | Path,
    values: Mapping[str, object] | str | None = None,
    output: str | None = None,
    gates: bool = False,
) -> Program:
    """A program from a file (UTF-8 text, one assignment per line); see ``parse_program``.

    Examples:
        >>> load_program("examples/cs231n_add_mul.txt").output
        f
    """
    path = Path(path)
    if not path.is_file():
        raise SymnnError(f"program file {str(path)!r}: not found")
    if path.stat().st_size > MAX_PROGRAM_LENGTH * 4:
        raise SymnnError(f"program file {str(path)!r}: larger than {MAX_PROGRAM_LENGTH * 4} bytes")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SymnnError(f"program file {str(path)!r}: not UTF-8 text") from None
    return parse_program(text, values, output, gates)


def parse_values(values: Mapping[str, object] | str | None) -> dict[str, sp.Expr]:
    """Input values from ``"a=-4, b=2"`` or a mapping of names to numbers, exactly.

    Examples:
        >>> parse_values("a=-4, b=0.5")
        {'a': -4, 'b': 1/2}
    """
    if values is None:
        return {}
    if isinstance(values, str):
        pairs = []
        for part in (p.strip() for p in values.replace(";", ",").split(",")):
            if not part:
                continue
            name, sep, number = part.partition("=")
            if not sep:
                raise SymnnError(f"input value {part!r}: expected name=number, e.g. a=-4")
            pairs.append((name.strip(), number.strip()))
    else:
        pairs = list(values.items())
    found: dict[str, sp.Expr] = {}
    for name, number in pairs:
        symbol(name)
        if name in found:
            raise SymnnError(f"input value for {name!r} given twice")
        value = as_number(number)
        if not value.is_real or not value.is_finite:
            raise SymnnError(f"input {name!r}: expected a finite real number, found {number!r}")
        found[name] = value
    return found


def program_names(program: Program) -> Sequence[str]:
    """Every name of the program, inputs first."""
    return [s.name for s in program.inputs] + [n.symbol.name for n in program.nodes]
