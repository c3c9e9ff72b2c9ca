"""Data and names: registry, errors, files, safe expressions, the graph, steps, notation.

Imports no other symnn package."""
