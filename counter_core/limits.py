"""Sliding-window attempt limits per key (a client address, an account, a citizen, a terminal): what stops a
guesser without locking out the honest. Callers raise their own typed errors from the ``Block`` they get."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from counter_core.clock import Clock, SystemClock


class AttemptJournal(Protocol):
    """Where a limiter writes what it counts, so a restart forgets nothing (a broker's limits, say)."""

    def load(self) -> tuple[dict[str, list[float]], dict[str, float]]:
        """The attempts per key and the lockouts (key → until) written so far."""
        ...

    def recorded(self, key: str, at: float) -> None: ...

    def locked(self, key: str, until: float) -> None: ...

    def forgotten(self, key: str) -> None: ...


@dataclass(frozen=True)
class Block:
    retry_after_s: int
    locked: bool  # a lockout (after many tries), not just a full window


class AttemptLimiter:
    """``burst`` attempts in ``window_s`` → blocked until the window frees (``burst`` 0: never);
    ``lockout_after`` in ``lockout_window_s`` → locked for ``lockout_s``. In memory, per process."""

    def __init__(
        self,
        burst: int,
        window_s: float,
        lockout_after: int = 0,
        lockout_window_s: float = 0,
        lockout_s: float = 0,
        *,
        clock: Clock | None = None,
        max_keys: int = 100_000,
        journal: AttemptJournal | None = None,
    ) -> None:
        self.burst, self.window_s = burst, window_s
        self.lockout_after, self.lockout_s = lockout_after, lockout_s
        self.horizon_s = max(window_s, lockout_window_s)
        self.clock = clock or SystemClock()
        self.max_keys = max_keys  # an attacker cycling keys cannot grow memory without bound
        self._events: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()
        self.journal = journal
        if journal is not None:
            events, locks = journal.load()
            self._events = {key: deque(sorted(times)) for key, times in events.items()}
            self._locked_until = dict(locks)

    def blocked(self, key: str) -> Block | None:
        now = self.clock.now()
        with self._lock:
            until = self._locked_until.get(key, 0.0)
            if until > now:
                return Block(int(until - now) + 1, True)
            events = self._events.get(key)
            if events and self.burst:
                recent = [t for t in events if t > now - self.window_s]
                if len(recent) >= self.burst:
                    return Block(int(recent[0] + self.window_s - now) + 1, False)
        return None

    def record(self, key: str) -> None:
        now = self.clock.now()
        with self._lock:
            if key not in self._events and len(self._events) >= self.max_keys:
                self._forget_old(now)
            events = self._events.setdefault(key, deque())
            events.append(now)
            while events and events[0] <= now - self.horizon_s:
                events.popleft()
            if self.journal is not None:
                self.journal.recorded(key, now)
            if self.lockout_after and len(events) >= self.lockout_after:
                self._locked_until[key] = now + self.lockout_s
                events.clear()
                if self.journal is not None:
                    self.journal.locked(key, now + self.lockout_s)
                    self.journal.forgotten(key)

    def forget(self, key: str) -> None:
        """A success: the key's earlier attempts no longer count."""
        with self._lock:
            self._events.pop(key, None)
            if self.journal is not None:
                self.journal.forgotten(key)

    def _forget_old(self, now: float) -> None:
        stale = [k for k, e in self._events.items() if not e or e[-1] <= now - self.horizon_s]
        for key in stale or list(self._events)[: len(self._events) // 2]:
            del self._events[key]
        self._locked_until = {k: u for k, u in self._locked_until.items() if u > now}
