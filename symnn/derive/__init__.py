"""The chain-rule engine: element level (per unit, δ reused), matrix level, and Jacobians."""

from symnn.derive.backprop import Backprop
from symnn.derive.element import backprop_for, derive, select
from symnn.derive.jacobian import block_jacobian, explicit_jacobian, jacobian
from symnn.derive.matrix import derive_matrix

__all__ = ["Backprop", "backprop_for", "derive", "jacobian", "select"]
__all__ += ["block_jacobian", "derive_matrix", "explicit_jacobian"]
