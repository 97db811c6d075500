"""A progress bar for long management commands: count, rate and time left,
redrawn in place on a terminal, and silent when the output is piped or
redirected (so logs and CSV on standard output stay clean)."""

import sys
import time
from typing import TextIO

# Redrawing more often than this costs time and shows nothing new.
REDRAW_SECONDS = 0.2
BAR_WIDTH = 30


class ProgressBar:
    def __init__(self, *, label: str, total: int | None = None, stream: TextIO | None = None, clock=time.monotonic):
        self.label = label
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self.done = 0
        self._clock = clock
        self._started = clock()
        self._drawn_at = None

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.enabled and (self._drawn_at is None or self._clock() - self._drawn_at >= REDRAW_SECONDS):
            self._draw()

    def close(self) -> None:
        if self.enabled:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()
            self.enabled = False

    def line(self) -> str:
        """The bar as text: `label [####----] 40/100 12.0/s 5s left`."""
        elapsed = max(self._clock() - self._started, 1e-9)
        rate = self.done / elapsed
        if self.total:
            filled = min(BAR_WIDTH, BAR_WIDTH * self.done // self.total)
            left = (self.total - self.done) / rate if rate else None
            eta = f"{_duration(left)} left" if left is not None else "--"
            return (
                f"{self.label} [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] "
                f"{self.done:,}/{self.total:,} {rate:,.0f}/s {eta}"
            )
        return f"{self.label} {self.done:,} {rate:,.0f}/s {_duration(elapsed)} elapsed"

    def _draw(self) -> None:
        self._drawn_at = self._clock()
        self.stream.write("\r\033[K" + self.line())
        self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = round(max(seconds, 0))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{seconds:02d}s"
    return f"{seconds}s"
