"""Time, injected where tests would otherwise sleep (TTLs, expiry, lockouts, backoff)."""

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
    """The real time plus an offset that only grows (time never runs backwards for what reads it)."""

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
