"""A one-line progress bar for long training runs, drawn on a terminal only.

Written to stderr (stdout stays clean for ``--json`` and redirected output), redrawn in place at
most ``updates`` times per run, and silent when asked or when stderr is not a terminal.
"""

from __future__ import annotations

import sys
from typing import TextIO

WIDTH = 30


class Progress:
    """Report ``update(step, loss, accuracy)`` as a bar; ``close()`` ends the line.

    ``enabled=None`` means: draw only if the stream is a terminal.

    Examples:
        >>> import io
        >>> stream = io.StringIO()
        >>> bar = Progress(4, enabled=True, stream=stream, updates=4)
        >>> for step in range(1, 5):
        ...     bar.update(step, 0.5 / step)
        >>> bar.close()
        >>> stream.getvalue().split("\\r")[-1]
        '[##############################] 4/4 loss 0.125\\n'
    """

    def __init__(
        self,
        total: int,
        enabled: bool | None = None,
        stream: TextIO | None = None,
        updates: int = 100,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled and total > 0
        self.total = total
        self.every = max(1, total // max(1, updates))
        self.drawn = False

    def update(self, step: int, loss: float, accuracy: float | None = None) -> None:
        if not self.enabled or (step % self.every and step != self.total):
            return
        filled = WIDTH * step // self.total
        bar = "#" * filled + "." * (WIDTH - filled)
        line = f"[{bar}] {step}/{self.total} loss {loss:.6g}"
        if accuracy is not None:
            line += f" accuracy {accuracy:.1%}"
        self.stream.write("\r" + line)
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False
