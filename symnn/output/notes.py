"""A rule's note in words broken into lines at phrase boundaries, not at even halves.

A note too long for one line is set in as few lines as fit, and among those breaks the one that
reads best: after a comma or a colon, before "so", "and", "through", "the"; never between an
article or an adjective and its noun ("the normalised / x" reads as two phrases), nor beside an
operator of a formula in the words ("δ / aᵀ").
"""

from __future__ import annotations

from functools import cache

from symnn.output.layout import visible_width

_ARTICLES = frozenset(("a", "an", "the", "each", "every", "its", "their"))
_PREPOSITIONS = frozenset(
    ("of", "to", "in", "on", "at", "by", "for", "from", "with", "through", "into", "over")
    + ("under", "per", "via", "as")
)
_CONJUNCTIONS = frozenset(("and", "or", "but", "so", "because", "which", "where", "while"))
# A line should not end on these: the phrase they open goes on with the next word.
_OPENERS = (
    _ARTICLES
    | _PREPOSITIONS
    | _CONJUNCTIONS
    | {"this", "these", "that", "all", "any", "whose", "is", "are", "times"}
)
# A new line reads well starting with these: a clause or a phrase begins there.
_STARTS = _ARTICLES | _PREPOSITIONS | _CONJUNCTIONS | {"since", "then", "times"}
# Parts of a formula written in the words: a break beside them cuts the formula.
_OPERATORS = frozenset(["=", "+", "−", "-", "·", "⊙", "×", "/", "≈", "≤", "≥", "<", ">", "→"])

_CLAUSE, _PHRASE, _PLAIN, _HELD, _FORMULA = 0.0, 1.0, 3.0, 12.0, 40.0
# How much an uneven pair of lines costs against a poor break (per squared relative deviation).
_RAGGED = 8.0


def _adjective(word: str) -> bool:
    """A participle or adjective that usually comes before its noun ("normalised", "biased")."""
    return word.endswith(("ised", "ized", "ed", "wise")) and len(word) > 4


def _mathy(word: str) -> bool:
    """A word of a formula: a symbol, a single letter or one holding a non-ASCII character."""
    core = word.strip(",;:.()")
    return len(core) <= 1 or not core.isascii() or not core.isalpha()


def _penalty(before: str, after: str, indexing: bool = False) -> float:
    """How badly a line break between two neighbouring words reads (0 is a clause boundary);
    ``indexing``: the break would fall inside square brackets (an index, "x[c, s·i]")."""
    if indexing or before in _OPERATORS or after in _OPERATORS:
        return _FORMULA
    if before.endswith((",", ";", ":", ".")):
        return _CLAUSE
    if before.lower() in _OPENERS or _adjective(before.lower()):
        return _HELD
    if _mathy(before) and _mathy(after):  # "δ aᵀ", "W x": a product written out
        return _FORMULA
    if after.lower() in _STARTS:
        return _PHRASE
    return _PLAIN


def wrap_words(words: str, width: float) -> tuple[str, ...]:
    """Words broken at spaces into as few lines of at most about ``width`` characters as hold
    them, at the breaks that read best (phrase boundaries), lines of about even length.

    Examples:
        >>> wrap_words("one two three four", 9)
        ('one two', 'three', 'four')
        >>> wrap_words("one two three four five", 20)
        ('one two three', 'four five')
        >>> wrap_words("x reaches L through the normalised x, σ² and μ: the three paths add", 50)
        ('x reaches L through the normalised x,', 'σ² and μ: the three paths add')
    """
    tokens = tuple(words.split())
    if not tokens:
        return ()
    return tuple(" ".join(tokens[a:b]) for a, b in _best(tokens, width))


def _fewest(tokens: tuple[str, ...], width: float) -> int:
    """The fewest lines that hold the words (greedy filling is optimal for that)."""
    lines, used = 0, width + 1
    for token in tokens:
        if used + 1 + len(token) <= width:
            used += 1 + len(token)
        else:
            lines, used = lines + 1, len(token)
    return lines


def _best(tokens: tuple[str, ...], width: float) -> list[tuple[int, int]]:
    """The (start, end) word spans of the best breaking into the fewest lines."""
    count = _fewest(tokens, width)
    mean = (sum(map(len, tokens)) + len(tokens) - count) / count

    depth, indexing = 0, []  # whether a break after each word falls inside [ ]
    for token in tokens:
        depth += token.count("[") - token.count("]")
        indexing.append(depth > 0)

    def length(a: int, b: int) -> int:
        return sum(len(t) for t in tokens[a:b]) + b - a - 1

    @cache
    def cost(start: int, lines: int) -> tuple[float, tuple[tuple[int, int], ...]]:
        """The cheapest way to set tokens[start:] in exactly ``lines`` lines."""
        if lines == 1:
            size = length(start, len(tokens))
            fits = size <= width or len(tokens) - start == 1
            return (_RAGGED * ((size - mean) / mean) ** 2 if fits else float("inf")), (
                (start, len(tokens)),
            )
        best: tuple[float, tuple[tuple[int, int], ...]] = (float("inf"), ())
        for end in range(start + 1, len(tokens) - lines + 2):
            size = length(start, end)
            if size > width and end - start > 1:
                break
            rest, spans = cost(end, lines - 1)
            here = _RAGGED * ((size - mean) / mean) ** 2 + _penalty(
                tokens[end - 1], tokens[end], indexing[end - 1]
            )
            if here + rest < best[0]:
                best = (here + rest, ((start, end), *spans))
        return best

    return list(cost(0, count)[1])


def formula_lines(tex: str, width: float) -> tuple[str, ...]:
    r"""A rule that is a formula (its LaTeX ``tex``) in lines of at most about ``width`` characters,
    broken only before a phrase in words at its top level (``\text{ is the outer product }``),
    never inside the maths; none when it fits on one line (it is then set whole).

    Examples:
        >>> formula_lines(r"\delta_j a_k \text{ for all } j, k\text{ is the outer product } x", 20)
        ('\\delta_j a_k \\text{ for all } j, k', '\\text{ is the outer product } x')
        >>> formula_lines(r"a = b", 20)
        ()
    """
    if visible_width(tex) <= width:
        return ()
    for mark in ",;:":  # a phrase after a comma may start a line, the comma staying behind
        tex = tex.replace(rf"\text{{{mark} ", rf"\text{{{mark}}}\text{{ ")
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(tex):
        if ch == "{" or ch == "}":
            depth += 1 if ch == "{" else -1
        elif depth == 0 and tex.startswith(r"\text{ ", i) and i > start:
            parts.append(tex[start:i])
            start = i
    parts.append(tex[start:])
    parts = [piece for part in parts for piece in _words_apart(part, width)]
    lines = [parts[0]]
    for part in parts[1:]:
        if visible_width(lines[-1] + part) <= width:
            lines[-1] += part
        else:
            lines.append(part)
    return tuple(line.strip() for line in lines) if len(lines) > 1 else ()


def _words_apart(part: str, width: float) -> list[str]:
    r"""A formula's part too wide for a line, its leading ``\text{…}`` broken between phrases
    (the maths after it stays with the last of them)."""
    if visible_width(part) <= width or not part.startswith(r"\text{"):
        return [part]
    end = part.index("}")
    words, rest = part[len(r"\text{") : end], part[end + 1 :]
    lines = wrap_words(words, width / 0.8)
    spaced = [rf"\text{{ {line}}}" for line in lines]  # the space a line break took
    spaced[0] = rf"\text{{{words[: len(words) - len(words.lstrip())]}{lines[0]}}}"
    spaced[-1] = spaced[-1][:-1] + words[len(words.rstrip()) :] + "}" + rest
    return spaced
