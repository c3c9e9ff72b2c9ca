"""Activations and losses: SymPy functions with derivatives, LaTeX names and NumPy twins."""
