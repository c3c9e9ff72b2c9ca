"""The chain-rule engine: element level (per unit, δ reused), matrix level, and Jacobians.

The function ``jacobian`` is not re-exported here: it would hide the module
``symnn.engine.jacobian`` (import it from there, or as ``symnn.jacobian``).
"""

from symnn.engine.backprop import Backprop
from symnn.engine.blocks import block_jacobian, explicit_jacobian
from symnn.engine.element import backprop_for, derive, select
from symnn.engine.matrix import derive_matrix

__all__ = ["Backprop", "backprop_for", "derive", "select"]
__all__ += ["block_jacobian", "derive_matrix", "explicit_jacobian"]
