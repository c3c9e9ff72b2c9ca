"""Numbers as documents show them: a chosen number of significant digits."""

from __future__ import annotations


def format_number(value: object, digits: int = 6) -> str:
    """A number to ``digits`` significant digits, without trailing zeros or a `+` in exponents."""
    number = float(value)
    if number == 0:
        return "0"
    if number in (float("inf"), float("-inf")):  # a textbook factor at a saturated output
        return r"\infty" if number > 0 else r"-\infty"
    text = f"{number:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \cdot 10^{{{int(exponent)}}}"
    return text
