"""The one exception type symnn raises for bad input, so callers (and the CLI) can catch it."""


class SymnnError(ValueError):
    """Bad input: the message names what was wrong and what was expected."""
