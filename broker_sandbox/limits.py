"""Rate limits of the sandbox broker."""

from __future__ import annotations

import threading
from collections import deque

from broker_client import errors
from broker_sandbox.clock import Clock, SystemClock


class EventLimiter:
    """Sliding windows of events per key (wrong codes per terminal, wrong passwords per account, pushes
    and SMS per citizen, failed identity checks); in memory: the sandbox runs one worker. ``burst`` or more
    events in ``window_s`` → ``limited`` (a ``RateLimited``) until the window frees (``burst`` 0: never);
    ``lockout_after`` in ``lockout_window_s`` → ``locked`` (a ``LockedOut``) for ``lockout_s``."""

    def __init__(
        self,
        burst: int,
        window_s: int,
        lockout_after: int = 0,
        lockout_window_s: int = 0,
        lockout_s: int = 0,
        *,
        clock: Clock | None = None,
        limited: type[errors.RateLimited] = errors.RateLimited,
        locked: type[errors.LockedOut] = errors.LockedOut,
    ) -> None:
        self.burst, self.window_s = burst, window_s
        self.lockout_after, self.lockout_s = lockout_after, lockout_s
        self.horizon_s = max(window_s, lockout_window_s)
        self.clock = clock or SystemClock()
        self.limited, self.locked = limited, locked
        self._events: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        now = self.clock.now()
        with self._lock:
            until = self._locked_until.get(key, 0)
            if until > now:
                raise self.locked(retry_after_s=int(until - now) + 1)
            events = self._events.get(key)
            if events and self.burst:
                recent = [t for t in events if t > now - self.window_s]
                if len(recent) >= self.burst:
                    raise self.limited(retry_after_s=int(recent[0] + self.window_s - now) + 1)

    def record(self, key: str) -> None:
        """One more event; returns nothing, ``check`` tells the consequence."""
        now = self.clock.now()
        with self._lock:
            events = self._events.setdefault(key, deque())
            events.append(now)
            while events and events[0] <= now - self.horizon_s:
                events.popleft()
            if self.lockout_after and len(events) >= self.lockout_after:
                self._locked_until[key] = now + self.lockout_s
                events.clear()

    def left_before_lockout(self, key: str) -> int:
        """Events still allowed before the lockout (for ``tries_left``)."""
        now = self.clock.now()
        with self._lock:
            events = self._events.get(key) or ()
            recent = sum(1 for t in events if t > now - self.horizon_s)
        return max(self.lockout_after - recent, 0)

    def clear(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)
