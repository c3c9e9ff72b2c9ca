"""The chain-rule engine: element level (per unit, δ reused), matrix level, and Jacobians."""

from symnn.engine.backprop import Backprop
from symnn.engine.blocks import block_jacobian, explicit_jacobian
from symnn.engine.element import backprop_for, derive, select
from symnn.engine.jacobian import jacobian
from symnn.engine.matrix import derive_matrix

__all__ = ["Backprop", "backprop_for", "derive", "jacobian", "select"]
__all__ += ["block_jacobian", "derive_matrix", "explicit_jacobian"]
