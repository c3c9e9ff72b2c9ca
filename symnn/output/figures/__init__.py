"""Figures drawn from the same graph, symbols and numbers as the derivation they sit in.

One module per kind of figure: ``network`` (units, weights, biases and the path δ takes back to a
chosen parameter), ``perceptron`` (w as the normal of the decision line), ``descent`` (contours
and iterates). Each returns a TikZ picture (text); ``tikz`` wraps pictures into a standalone page
and turns them into SVG for Markdown. Layout only: every label and number comes from the caller.
"""
