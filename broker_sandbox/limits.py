"""Rate limits of the sandbox broker: the core ``AttemptLimiter`` answering with the broker's typed errors."""

from __future__ import annotations

from broker_client import errors
from counter_core.clock import Clock
from counter_core.limits import AttemptLimiter


class EventLimiter(AttemptLimiter):
    """Sliding windows of events per key (wrong codes per terminal, wrong passwords per account, pushes and
    SMS per citizen, failed identity checks); in memory: the sandbox runs one worker. A full window raises
    ``limited`` (a ``RateLimited``), a lockout ``locked`` (a ``LockedOut``), each with ``retry_after_s``."""

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
        super().__init__(burst, window_s, lockout_after, lockout_window_s, lockout_s, clock=clock)
        self.limited, self.locked = limited, locked

    def check(self, key: str) -> None:
        block = self.blocked(key)
        if block is not None:
            raise (self.locked if block.locked else self.limited)(retry_after_s=block.retry_after_s)

    def left_before_lockout(self, key: str) -> int:
        """Events still allowed before the lockout (for ``tries_left``)."""
        now = self.clock.now()
        with self._lock:
            recent = sum(1 for t in self._events.get(key) or () if t > now - self.horizon_s)
        return max(self.lockout_after - recent, 0)
