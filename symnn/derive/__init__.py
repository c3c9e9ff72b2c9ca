"""The chain-rule engine: element level (per unit, δ reused) and Jacobians."""

from symnn.derive.backprop import Backprop
from symnn.derive.element import backprop_for, derive, select
from symnn.derive.jacobian import jacobian

__all__ = ["Backprop", "backprop_for", "derive", "jacobian", "select"]
