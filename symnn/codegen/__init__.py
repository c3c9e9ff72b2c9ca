"""Code generated from the derivation: element, gathered and matrix NumPy, forward passes."""
