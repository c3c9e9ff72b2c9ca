"""Safe input of mathematics as text: expressions, variable lists and points, never evaluated.

Text is parsed with Python's ``ast`` module and SymPy objects are built directly from the tree,
node by node, from a whitelist: numbers, variable names, ``+ - * / **``, unary ``±``, calls to the
functions in ``FUNCTIONS`` and the constants in ``CONSTANTS``. Anything else (attribute access,
subscripts, lambdas, comprehensions, strings, keyword arguments, …) is a ``SymnnError`` naming the
offending piece. Nothing is ever passed to ``eval``, ``exec`` or ``sympify``.

Conventions, stated once:

- ``^`` means power, as in written mathematics (``x^2`` is ``x**2``); Python's XOR has no place in
  a formula.
- Decimal numbers are exact: ``0.1`` is the rational 1/10, so worked examples come out exactly.
- Variables are real symbols; their order is the order given by the user, else the order of first
  appearance in the text (never alphabetical or set order).
- ``e`` and ``pi`` are the constants, so they cannot name variables; ``log`` and ``ln`` are both the
  natural logarithm (``log(x, b)`` is the logarithm to base ``b``).

Examples:
    >>> parse_expression("x^2 + 4*y**2")
    x**2 + 4*y**2
    >>> variables_in("exp(-x)*sin(y) + x")
    (x, y)
    >>> parse_point("(1, 1/2)")
    (1, 1/2)
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from symnn.core.errors import SymnnError
from symnn.core.functions import Sigmoid

MAX_LENGTH = 2000
MAX_NODES = 1000
MAX_DEPTH = 60
MAX_EXPONENT = 1000  # a numeric power beyond this is refused before SymPy tries to compute it
MAX_DIGITS = 10_000
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")


@dataclass(frozen=True)
class MathFunction:
    """A function allowed in expressions: how many arguments it takes and how to build it."""

    build: Callable[..., sp.Expr]
    arities: tuple[int, ...] = (1,)


FUNCTIONS: dict[str, MathFunction] = {
    "exp": MathFunction(sp.exp),
    "log": MathFunction(sp.log, (1, 2)),
    "ln": MathFunction(sp.log),
    "sqrt": MathFunction(sp.sqrt),
    "sin": MathFunction(sp.sin),
    "cos": MathFunction(sp.cos),
    "tan": MathFunction(sp.tan),
    "asin": MathFunction(sp.asin),
    "acos": MathFunction(sp.acos),
    "atan": MathFunction(sp.atan),
    "sinh": MathFunction(sp.sinh),
    "cosh": MathFunction(sp.cosh),
    "tanh": MathFunction(sp.tanh),
    "sigmoid": MathFunction(Sigmoid),
    "abs": MathFunction(sp.Abs),
}
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "e": sp.E}

ALLOWED = (
    "numbers, variables (letters, digits, _), + - * / ** ^, parentheses, "
    f"the functions {', '.join(FUNCTIONS)} and the constants {', '.join(CONSTANTS)}"
)

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
# Friendly names for the constructs people (or attackers) try, so the error says what was seen.
_NODE_NAMES = {
    ast.Attribute: "attribute access ('.')",
    ast.Subscript: "subscripts ('[...]')",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.IfExp: "conditional expressions ('if ... else')",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and'/'or'",
    ast.List: "lists",
    ast.Dict: "dictionaries",
    ast.Set: "sets",
    ast.Tuple: "tuples",
    ast.Starred: "starred arguments",
    ast.NamedExpr: "assignment (':=')",
    ast.JoinedStr: "strings",
    ast.Await: "await",
    ast.Yield: "yield",
}


def _fail(text: str, what: str) -> SymnnError:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return SymnnError(f"expression {shown!r}: not allowed: {what}; allowed: {ALLOWED}")


def _guard_size(text: str, what: str = "expression") -> None:
    if not isinstance(text, str):
        raise SymnnError(f"{what}: expected text, found {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise SymnnError(f"{what}: expected at most {MAX_LENGTH} characters, found {len(text)}")
    if not text.strip():
        raise SymnnError(f"{what}: expected a formula such as 'x**2 + 4*y**2', found empty text")
    depth = deepest = 0
    for ch in text:
        depth += ch in "([{"
        depth -= ch in ")]}"
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise SymnnError(f"{what}: parentheses nested {deepest} deep; expected at most {MAX_DEPTH}")


def _powers(text: str) -> str:
    # ^ is power; Python's ^ binds looser than +, so it is rewritten before parsing, not after.
    return text.strip().replace("^", "**")


def _tree(text: str, what: str = "expression") -> ast.expr:
    _guard_size(text, what)
    try:
        tree = ast.parse(_powers(text), mode="eval").body
    except SyntaxError as error:
        hint = " (write products with '*', e.g. 2*x)" if re.search(r"\d[A-Za-z(]", text) else ""
        raise SymnnError(f"{what} {text!r}: not a formula: {error.msg}{hint}") from None
    except (RecursionError, MemoryError, ValueError):
        raise SymnnError(f"{what}: too complex to read; expected a shorter formula") from None
    nodes = sum(1 for _ in ast.walk(tree))
    if nodes > MAX_NODES:
        raise SymnnError(f"{what}: {nodes} parts; expected at most {MAX_NODES}")
    return tree


def check_name(name: str) -> str:
    """A variable name, or a SymnnError saying what a name may look like.

    Examples:
        >>> check_name("x1")
        'x1'
    """
    if (
        not isinstance(name, str)
        or not NAME_PATTERN.fullmatch(name)
        or name.endswith("__")
        or keyword.iskeyword(name)
    ):
        raise SymnnError(
            f"variable name {name!r}: expected a letter followed by up to 31 letters, digits or _"
        )
    if name in FUNCTIONS or name in CONSTANTS:
        raise SymnnError(f"variable name {name!r}: expected a name that is not a function or pi/e")
    return name


def symbol(name: str) -> sp.Symbol:
    """The real SymPy symbol a variable name stands for (the same one every parse returns).

    Examples:
        >>> symbol("x") == parse_expression("x"), symbol("x").is_real
        (True, True)
    """
    return sp.Symbol(check_name(name), real=True)


class _Builder:
    """Builds SymPy from a parsed tree, refusing every node that is not on the whitelist."""

    def __init__(
        self,
        text: str,
        allowed: Sequence[str] | None,
        functions: dict[str, MathFunction] | None = None,
    ):
        self.text = text
        self.allowed = None if allowed is None else list(allowed)
        self.functions = FUNCTIONS if functions is None else functions
        self.source = _powers(text) if isinstance(text, str) else ""  # the tree's positions
        self.names: list[str] = []  # in order of first appearance

    def build(self, node: ast.AST) -> sp.Expr:
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return self._binary(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        raise _fail(self.text, _NODE_NAMES.get(type(node), f"'{type(node).__name__}'"))

    def _number(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = "strings" if isinstance(value, str | bytes) else f"the constant {value!r}"
            raise _fail(self.text, kind)
        source = ast.get_source_segment(self.source, node) or repr(value)
        exponent = re.search(r"[eE]([+-]?\d+)", source)
        if exponent and abs(int(exponent.group(1))) > MAX_EXPONENT:
            raise _fail(self.text, f"the number {source!r} (exponent beyond {MAX_EXPONENT})")
        try:  # the digits as written, so 0.1 is exactly 1/10
            return sp.Rational(str(Fraction(source.replace("_", ""))))
        except (ValueError, ZeroDivisionError):
            raise _fail(self.text, f"the number {source!r}") from None

    def _name(self, name: str) -> sp.Expr:
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in self.functions:
            raise SymnnError(f"expression {self.text!r}: {name} is a function; write {name}(...)")
        if name.startswith("_") or name.endswith("__"):
            raise _fail(self.text, f"the name {name!r}")
        check_name(name)
        if self.allowed is not None and name not in self.allowed:
            known = ", ".join(self.allowed) or "none"
            raise SymnnError(f"expression {self.text!r}: unknown variable {name!r}; known: {known}")
        if name not in self.names:
            self.names.append(name)
        return symbol(name)

    def _binary(self, node: ast.BinOp) -> sp.Expr:
        op = type(node.op)
        if op not in _BINARY and op is not ast.Pow:
            raise _fail(self.text, f"the operator {_OPERATORS.get(op, op.__name__)!r}")
        left, right = self.build(node.left), self.build(node.right)
        if op in _BINARY:
            if op is ast.Div and right == 0:
                raise SymnnError(f"expression {self.text!r}: division by zero")
            return _BINARY[op](left, right)
        if right.is_number and (not right.is_finite or abs(sp.N(right, 5)) > MAX_EXPONENT):
            raise SymnnError(
                f"expression {self.text!r}: exponent {right} too large; expected |n| <= "
                f"{MAX_EXPONENT}"
            )
        if left.is_number and right.is_number and left != 0:
            # the number of digits of the result, estimated before SymPy computes it
            digits = sp.N(abs(right) * sp.log(abs(left), 10), 5)
            if digits.is_real and digits > MAX_DIGITS:
                raise SymnnError(
                    f"expression {self.text!r}: a power with about {int(digits)} digits; "
                    f"expected at most {MAX_DIGITS}"
                )
        return left**right

    def _call(self, node: ast.Call) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            raise _fail(self.text, "calling anything but a named function")
        name = node.func.id
        if name not in self.functions:
            raise SymnnError(
                f"expression {self.text!r}: unknown function {name!r}; "
                f"known: {', '.join(self.functions)}"
            )
        if node.keywords:
            raise _fail(self.text, "keyword arguments")
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise _fail(self.text, "starred arguments")
        function = self.functions[name]
        if len(node.args) not in function.arities:
            wanted = " or ".join(map(str, function.arities))
            raise SymnnError(
                f"expression {self.text!r}: {name} takes {wanted} argument(s), "
                f"found {len(node.args)}"
            )
        return function.build(*(self.build(arg) for arg in node.args))


_OPERATORS = {
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.BitOr: "|",
    ast.LShift: "<<",
    ast.RShift: ">>",
}


def _parse(text: str, allowed: Sequence[str] | None) -> tuple[sp.Expr, list[str]]:
    builder = _Builder(text, allowed)
    try:
        expr = builder.build(_tree(text))
    except RecursionError:
        raise SymnnError("expression: too deeply nested; expected a simpler formula") from None
    return sp.sympify(expr), builder.names  # sympify of a SymPy object (never of text)


def parse_expression(text: str, variables: Sequence[str] | None = None) -> sp.Expr:
    """A SymPy expression from text; with ``variables``, any other name is an error.

    Examples:
        >>> parse_expression("exp(-x)*sin(y)")
        exp(-x)*sin(y)
        >>> parse_expression("x.__class__")
        Traceback (most recent call last):
        ...
        symnn.core.errors.SymnnError: expression 'x.__class__': not allowed: attribute access ...
    """
    return _parse(text, variables)[0]


def variables_in(*texts: str) -> tuple[sp.Symbol, ...]:
    """The variables of one or more expressions, in order of first appearance in the text.

    Examples:
        >>> variables_in("y**2 + x", "z*x")
        (y, x, z)
    """
    names: list[str] = []
    for text in texts:
        names += [n for n in _parse(text, None)[1] if n not in names]
    return tuple(symbol(n) for n in names)


def parse_variables(spec: str | Sequence[str | sp.Symbol]) -> tuple[sp.Symbol, ...]:
    """Variable symbols from ``"x,y"`` or a sequence of names/symbols, in the order given.

    Examples:
        >>> parse_variables("x, y")
        (x, y)
    """
    names = spec.split(",") if isinstance(spec, str) else [str(v) for v in spec]
    names = [n.strip() for n in names]
    if not names or not all(names):
        raise SymnnError(f"variables {spec!r}: expected names separated by commas, e.g. x,y")
    if len(set(names)) != len(names):
        raise SymnnError(f"variables {spec!r}: expected each name once")
    return tuple(symbol(n) for n in names)


def parse_number(text: str) -> sp.Expr:
    """One real number from text: ``2``, ``-0.5``, ``1/3``, ``sqrt(2)/2``, ``pi/4``.

    Examples:
        >>> parse_number("-1/2")
        -1/2
    """
    value = parse_expression(text, variables=())
    if not value.is_real or not value.is_finite:
        raise SymnnError(f"number {text!r}: expected a finite real number")
    return value


def parse_point(text: str) -> tuple[sp.Expr, ...]:
    """A point or vector from text such as ``"1,2"``, ``"(1, 2)"`` or ``"[1/2, -3]"``, exactly.

    Examples:
        >>> parse_point("0.01, 0.005")
        (1/100, 1/200)
    """
    _guard_size(text, "point")
    tree = _tree(text.strip(), "point")
    parts = tree.elts if isinstance(tree, ast.Tuple | ast.List) else [tree]
    if not parts:
        raise SymnnError(f"point {text!r}: expected numbers separated by commas, e.g. 1,2")
    values = []
    source = text.strip()
    for part in parts:
        segment = ast.get_source_segment(_powers(source), part)
        values.append(parse_number(segment if segment is not None else ""))
    return tuple(values)


def as_number(value: object) -> sp.Expr:
    """A SymPy number from a Python or SymPy number or text; floats keep their written digits.

    Examples:
        >>> as_number(0.1), as_number(Fraction(1, 3)), as_number("2/3")
        (1/10, 1/3, 2/3)
    """
    if isinstance(value, str):
        return parse_number(value)
    if isinstance(value, bool):
        raise SymnnError(f"expected a number, found {value!r}")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise SymnnError(f"expected a finite number, found {value!r}")
        return sp.Rational(repr(value))
    if isinstance(value, int | Fraction):
        return sp.Rational(value)
    if isinstance(value, sp.Expr) and value.is_number:
        return value
    raise SymnnError(f"expected a number, found {value!r}")


def as_point(value: object, size: int | None = None, what: str = "point") -> tuple[sp.Expr, ...]:
    """A point from text or a sequence of numbers, checked to have ``size`` coordinates.

    Examples:
        >>> as_point([1, 0.5], 2), as_point("3")
        ((1, 1/2), (3,))
    """
    if isinstance(value, str):
        point = parse_point(value)
    elif isinstance(value, Sequence | sp.Matrix | sp.Tuple):
        point = tuple(as_number(v) for v in value)
    else:
        point = (as_number(value),)
    if size is not None and len(point) != size:
        raise SymnnError(f"{what}: expected {size} coordinate(s), found {len(point)}")
    return point


def as_expression(value: str | sp.Expr, variables: Sequence[sp.Symbol] | None = None) -> sp.Expr:
    """An expression from text (parsed safely) or a SymPy expression (used as it is)."""
    if isinstance(value, str):
        return parse_expression(value, None if variables is None else [v.name for v in variables])
    if isinstance(value, sp.Expr):
        # The same real symbols text parsing gives, so points and variables match by name.
        return value.xreplace({s: symbol(s.name) for s in value.free_symbols})
    if isinstance(value, int | float | Fraction):
        return as_number(value)
    raise SymnnError(f"expected an expression as text, found {type(value).__name__}")


def resolve_variables(
    exprs: Sequence[str | sp.Expr], variables: str | Sequence[str | sp.Symbol] | None = None
) -> tuple[sp.Symbol, ...]:
    """The variables to differentiate in: as given, else in order of first appearance in the text.

    SymPy expressions (no text to read an order from) fall back to SymPy's sort key, which does not
    depend on hashing.

    Examples:
        >>> resolve_variables(["z*y + x"]), resolve_variables(["z*y + x"], "x,y,z")
        ((z, y, x), (x, y, z))
    """
    if variables is not None:
        return parse_variables(variables)
    texts = [e for e in exprs if isinstance(e, str)]
    found = list(variables_in(*texts)) if texts else []
    others = [e for e in exprs if not isinstance(e, str)]
    for expr in others:
        extra = [s for s in as_expression(expr).free_symbols if s not in found]
        found += sorted(extra, key=sp.default_sort_key)
    return tuple(found)
