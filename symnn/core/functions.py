"""SymPy functions for the rules: each carries its derivative (fdiff), LaTeX, NumPy call and an
elementary form (used only by tests and high-precision references, never by the engine).

Kinks are decided once, here: ReLU'(0) = 0 (the indicator 1[z > 0]), step'(z) = 0 everywhere
(including 0), |r|'(0) = sign(0) = 0, and the step fires at z >= 0.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import ArgumentIndexError


class _Rule(sp.Function):
    """Common behaviour: real-valued, printed as ``name(args)`` in NumPy code."""

    code_name: str = ""

    def _eval_is_real(self):
        return all(arg.is_real for arg in self.args) or None

    def _numpycode(self, printer):
        return f"{self.code_name}({', '.join(printer._print(arg) for arg in self.args)})"

    def _latex(self, printer, exp=None) -> str:
        # The printer passes exp for a power (σ(z)²): the whole call goes in brackets.
        text = self._tex(printer)
        return text if exp is None else rf"\left({text}\right)^{{{exp}}}"

    def _latex_call(self, printer, name: str) -> str:
        return rf"{name}\left({printer._print(self.args[0])}\right)"


class Indicator(_Rule):
    """1[u > 0]: the derivative of ReLU and of max(0, u), 0 at the kink."""

    nargs = 1
    code_name = "indicator"

    def fdiff(self, argindex=1):
        return sp.S.Zero

    def _tex(self, printer) -> str:
        return rf"\mathbb{{1}}\left[{printer._print(self.args[0])} > 0\right]"

    def _elementary(self):
        return sp.Piecewise((1, self.args[0] > 0), (0, True))


class Step(_Rule):
    """The perceptron's step (Heaviside): 1 when z >= 0, else 0; its derivative is taken as 0."""

    nargs = 1
    code_name = "step"

    def fdiff(self, argindex=1):
        return sp.S.Zero

    def _tex(self, printer) -> str:
        return self._latex_call(printer, r"\operatorname{step}")

    def _elementary(self):
        return sp.Piecewise((1, self.args[0] >= 0), (0, True))


class Sigmoid(_Rule):
    """σ(z) = 1 / (1 + e^{−z}), with σ' = σ(1 − σ)."""

    nargs = 1
    code_name = "sigmoid"

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _tex(self, printer) -> str:
        return self._latex_call(printer, r"\sigma")

    def _elementary(self):
        return 1 / (1 + sp.exp(-self.args[0]))


class ReLU(_Rule):
    """max(0, z) as an activation, with ReLU' = 1[z > 0]."""

    nargs = 1
    code_name = "relu"

    def fdiff(self, argindex=1):
        return Indicator(self.args[0])

    def _tex(self, printer) -> str:
        return self._latex_call(printer, r"\operatorname{ReLU}")

    def _elementary(self):
        return sp.Piecewise((self.args[0], self.args[0] > 0), (0, True))


class PositivePart(ReLU):
    """max(0, u) inside a loss (hinge, perceptron criterion); the same rule as ReLU."""

    code_name = "relu"

    def _tex(self, printer) -> str:
        return rf"\max\left(0, {printer._print(self.args[0])}\right)"


class Maximum(_Rule):
    """max(x, y), a gate of two inputs: the gradient goes to the larger one; a tie (x = y) sends
    all of it to the first argument (∂/∂x = step(x − y), ∂/∂y = 1 − step(x − y))."""

    nargs = 2
    code_name = "maximum"

    def fdiff(self, argindex=1):
        x, y = self.args
        if argindex == 1:
            return Step(x - y)
        if argindex == 2:
            return 1 - Step(x - y)
        raise ArgumentIndexError(self, argindex)

    def _tex(self, printer) -> str:
        x, y = (printer._print(arg) for arg in self.args)
        return rf"\max\left({x}, {y}\right)"

    def _elementary(self):
        x, y = self.args
        return sp.Piecewise((x, x >= y), (y, True))


class Minimum(_Rule):
    """min(x, y): the gradient goes to the smaller input; a tie sends all of it to the first."""

    nargs = 2
    code_name = "minimum"

    def fdiff(self, argindex=1):
        x, y = self.args
        if argindex == 1:
            return Step(y - x)
        if argindex == 2:
            return 1 - Step(y - x)
        raise ArgumentIndexError(self, argindex)

    def _tex(self, printer) -> str:
        x, y = (printer._print(arg) for arg in self.args)
        return rf"\min\left({x}, {y}\right)"

    def _elementary(self):
        x, y = self.args
        return sp.Piecewise((x, x <= y), (y, True))


class LeakyReLU(_Rule):
    """z for z > 0, slope·z otherwise; derivative 1 or slope (slope at 0)."""

    nargs = 2
    code_name = "leaky_relu"

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        z, slope = self.args
        return sp.Piecewise((1, z > 0), (slope, True))

    def _tex(self, printer) -> str:
        z, slope = self.args
        name = rf"\operatorname{{LeakyReLU}}_{{{printer._print(slope)}}}"
        return rf"{name}\left({printer._print(z)}\right)"

    def _elementary(self):
        z, slope = self.args
        return sp.Piecewise((z, z > 0), (slope * z, True))


class Softplus(_Rule):
    """log(1 + e^z), whose derivative is σ(z)."""

    nargs = 1
    code_name = "softplus"

    def fdiff(self, argindex=1):
        return Sigmoid(self.args[0])

    def _tex(self, printer) -> str:
        return self._latex_call(printer, r"\operatorname{softplus}")

    def _elementary(self):
        return sp.log(1 + sp.exp(self.args[0]))


class ELU(_Rule):
    """z for z > 0, α(e^z − 1) otherwise; derivative 1 or ELU(z) + α (the latter at 0)."""

    nargs = 2
    code_name = "elu"

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        z, alpha = self.args
        return sp.Piecewise((1, z > 0), (self + alpha, True))

    def _tex(self, printer) -> str:
        z, alpha = self.args
        return rf"\operatorname{{ELU}}_{{{printer._print(alpha)}}}\left({printer._print(z)}\right)"

    def _elementary(self):
        z, alpha = self.args
        return sp.Piecewise((z, z > 0), (alpha * (sp.exp(z) - 1), True))


class SiLU(_Rule):
    """z σ(z) (swish), with derivative σ(z)(1 + z(1 − σ(z)))."""

    nargs = 1
    code_name = "silu"

    def fdiff(self, argindex=1):
        z = self.args[0]
        return Sigmoid(z) * (1 + z * (1 - Sigmoid(z)))

    def _tex(self, printer) -> str:
        return self._latex_call(printer, r"\operatorname{SiLU}")

    def _elementary(self):
        z = self.args[0]
        return z / (1 + sp.exp(-z))


class NormalCDF(_Rule):
    """Φ(z), the standard normal distribution function; Φ' is the normal density."""

    nargs = 1
    code_name = "normal_cdf"

    def fdiff(self, argindex=1):
        z = self.args[0]
        return sp.exp(-(z**2) / 2) / sp.sqrt(2 * sp.pi)

    def _tex(self, printer) -> str:
        return self._latex_call(printer, r"\Phi")

    def _elementary(self):
        return (1 + sp.erf(self.args[0] / sp.sqrt(2))) / 2


class GELU(_Rule):
    """z Φ(z) (the exact, erf form), with derivative Φ(z) + z φ(z)."""

    nargs = 1
    code_name = "gelu"

    def fdiff(self, argindex=1):
        z = self.args[0]
        return NormalCDF(z) + z * sp.exp(-(z**2) / 2) / sp.sqrt(2 * sp.pi)

    def _tex(self, printer) -> str:
        return self._latex_call(printer, r"\operatorname{GELU}")

    def _elementary(self):
        z = self.args[0]
        return z * (1 + sp.erf(z / sp.sqrt(2))) / 2


class Softmax(_Rule):
    """softmax_i(z_1, …, z_n) = e^{z_i} / Σ_k e^{z_k}; ∂s_i/∂z_k = s_i (δ_ik − s_k).

    The first argument is the 1-based unit index i; the rest are the layer's inputs.
    """

    code_name = "softmax_unit"

    @classmethod
    def eval(cls, i, *zs):
        if not zs:
            raise ValueError("softmax needs at least one input")

    def fdiff(self, argindex=1):
        if argindex == 1:
            raise ArgumentIndexError(self, argindex)
        i, *zs = self.args
        k = argindex - 1
        return self * (sp.KroneckerDelta(i, k) - Softmax(k, *zs))

    def _tex(self, printer) -> str:
        i, *zs = self.args
        denominator = " + ".join(rf"e^{{{printer._print(zk)}}}" for zk in zs)
        return rf"\frac{{e^{{{printer._print(zs[int(i) - 1])}}}}}{{{denominator}}}"

    def _elementary(self):
        i, *zs = self.args
        return sp.exp(zs[int(i) - 1]) / sum(sp.exp(zk) for zk in zs)


class LogSumExp(_Rule):
    """log Σ_k e^{z_k}, whose gradient is the softmax."""

    code_name = "logsumexp"

    def fdiff(self, argindex=1):
        return Softmax(argindex, *self.args)

    def _tex(self, printer) -> str:
        terms = " + ".join(rf"e^{{{printer._print(zk)}}}" for zk in self.args)
        return rf"\log\left({terms}\right)"

    def _elementary(self):
        return sp.log(sum(sp.exp(zk) for zk in self.args))


class Huber(_Rule):
    """Huber's function of a residual r with threshold d: ½r² for |r| <= d, else d(|r| − ½d)."""

    nargs = 2
    code_name = "huber"

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        r, d = self.args
        return sp.Piecewise((r, sp.Abs(r) <= d), (d * sp.sign(r), True))

    def _tex(self, printer) -> str:
        r, d = self.args
        return rf"\operatorname{{huber}}_{{{printer._print(d)}}}\left({printer._print(r)}\right)"

    def _elementary(self):
        r, d = self.args
        return sp.Piecewise((r**2 / 2, sp.Abs(r) <= d), (d * (sp.Abs(r) - d / 2), True))


def to_elementary(expr: sp.Expr) -> sp.Expr:
    """Rewrite symnn functions in ``expr`` as elementary SymPy (for checks, not the engine)."""
    while True:
        rewritten = expr.replace(lambda e: hasattr(e, "_elementary"), lambda e: e._elementary())
        if rewritten == expr:
            return rewritten
        expr = rewritten
