"""Numbers as documents show them: a chosen number of significant digits."""

from __future__ import annotations


def format_number(value: object, digits: int = 6, places: int = 0) -> str:
    """A number to ``digits`` significant digits, without trailing zeros or a `+` in exponents;
    with ``places``, never fewer than that many decimal places (as micrograd prints ``:.4f``).

    Examples:
        >>> format_number(47620 / 343), format_number(47620 / 343, places=4)
        ('138.834', '138.8338')
        >>> format_number(24.5, places=4), format_number(-10 / 2401, places=4)
        ('24.5', '-0.00416493')
    """
    number = float(value)
    if number == 0:
        return "0"
    if number in (float("inf"), float("-inf")):  # a textbook factor at a saturated output
        return r"\infty" if number > 0 else r"-\infty"
    text = f"{number:.{digits}g}"
    if places and "e" not in text and len(text.partition(".")[2]) < places:
        text = f"{number:.{places}f}".rstrip("0").rstrip(".")
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \cdot 10^{{{int(exponent)}}}"
    return text
