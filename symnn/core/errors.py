"""The one exception type symnn raises for bad input, so callers (and the CLI) can catch it."""


class SymnnError(ValueError):
    """Bad input: the message names what was wrong and what was expected."""


def short_repr(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters, so one bad value never floods the terminal."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1:,} digits"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
