"""A one-line progress bar for long training runs, drawn on a terminal only.

Written to stderr (stdout stays clean for ``--json`` and redirected output), redrawn in place at
most ``updates`` times per run with the rate and the time left, cleared when the run ends (the
summary that follows says how it went), and silent when asked or when stderr is not a terminal.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

WIDTH = 30


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


class Progress:
    """Report ``update(step, loss, accuracy)`` as a bar; ``close()`` clears the line.

    ``enabled=None`` means: draw only if the stream is a terminal. ``clock`` (seconds) is
    ``time.monotonic`` unless a test gives its own.

    Examples:
        >>> import io
        >>> stream, ticks = io.StringIO(), iter(range(0, 100, 2))
        >>> bar = Progress(4, enabled=True, stream=stream, updates=4, clock=lambda: next(ticks))
        >>> for step in range(1, 5):
        ...     bar.update(step, 0.5 / step)
        >>> stream.getvalue().split("\\r")[-1].rstrip()
        '[##############################] 4/4 loss 0.125 | 0.5 steps/s, 00:00 left'
        >>> bar.close()  # blanks the line out
        >>> cleared = stream.getvalue().split("\\r")[-2:]
        >>> set(cleared[0]), cleared[1]
        ({' '}, '')
    """

    def __init__(
        self,
        total: int,
        enabled: bool | None = None,
        stream: TextIO | None = None,
        updates: int = 100,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled and total > 0
        self.total = total
        self.every = max(1, total // max(1, updates))
        self.clock = clock
        self.start = clock() if self.enabled else 0.0
        self.width = 0

    def update(self, step: int, loss: float, accuracy: float | None = None) -> None:
        if not self.enabled or (step % self.every and step != self.total):
            return
        filled = WIDTH * step // self.total
        bar = "#" * filled + "." * (WIDTH - filled)
        line = f"[{bar}] {step}/{self.total} loss {loss:.6g}"
        if accuracy is not None:
            line += f" accuracy {accuracy:.1%}"
        elapsed = self.clock() - self.start
        if step > 0 and elapsed > 0:
            rate = step / elapsed
            line += f" | {rate:.3g} steps/s, {_duration((self.total - step) / rate)} left"
        # Pad over a longer previous line, so no characters of it stay behind.
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = max(self.width, len(line))

    def close(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0
