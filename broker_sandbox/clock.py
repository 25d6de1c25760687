"""The sandbox's sense of time, injected into its flows, rate limits and outbox.

Sessions, codes, pushes, SMS codes and lockouts expire by this clock, so a test moves it forward instead
of sleeping (``sandbox.adjustable_clock``: ``POST /testing/clock``). Request signatures are checked against
the real time: a terminal's clock is the real one, and moving the broker's would only make every request stale.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch, as ``time.time()``."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class AdjustableClock:
    """The real time plus an offset that only grows (time never runs backwards for the flows)."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
            return self._offset
