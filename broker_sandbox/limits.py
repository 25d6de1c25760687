"""Rate limits of the sandbox broker."""

from __future__ import annotations

import threading
import time
from collections import deque

from broker_client import errors


class EventLimiter:
    """Sliding windows of events per key (wrong codes per terminal, wrong passwords per account, pushes
    and SMS per citizen); in memory: the sandbox runs one worker. More than ``burst`` events in
    ``window_s`` → ``RateLimited`` until the window frees; ``lockout_after`` in ``lockout_window_s`` →
    ``LockedOut`` for ``lockout_s``."""

    def __init__(
        self, burst: int, window_s: int, lockout_after: int = 0, lockout_window_s: int = 0, lockout_s: int = 0
    ) -> None:
        self.burst, self.window_s = burst, window_s
        self.lockout_after, self.lockout_s = lockout_after, lockout_s
        self.horizon_s = max(window_s, lockout_window_s)
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        now = time.time()
        with self._lock:
            until = self._locked_until.get(key, 0)
            if until > now:
                raise errors.LockedOut(retry_after_s=int(until - now) + 1)
            failures = self._failures.get(key)
            if failures:
                recent = [t for t in failures if t > now - self.window_s]
                if len(recent) >= self.burst:
                    raise errors.RateLimited(retry_after_s=int(recent[0] + self.window_s - now) + 1)

    def record(self, key: str) -> None:
        now = time.time()
        with self._lock:
            failures = self._failures.setdefault(key, deque())
            failures.append(now)
            while failures and failures[0] < now - self.horizon_s:
                failures.popleft()
            if self.lockout_after and len(failures) >= self.lockout_after:
                self._locked_until[key] = now + self.lockout_s
                failures.clear()
