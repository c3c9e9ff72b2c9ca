"""Benchmarks (not part of the installed package): run ``python3 benchmarks/run.py``."""
