"""Clerk logins and the one redemption on screen, in server memory only; purged on time or on demand."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from broker_client.models import ClerkSession, Redemption


@dataclass
class Viewing:
    redemption: Redemption = field(repr=False)
    deadline: float  # time.monotonic() when it is purged
    code_hash: str = ""  # which code is on screen (a second scan of it changes nothing)
    request_id: str = ""  # the page's attempt that asked for it
    shown_at: float = field(default_factory=time.monotonic)


@dataclass
class ClerkLogin:
    id: str
    broker: ClerkSession = field(repr=False)
    touched: float = field(default_factory=time.monotonic)
    viewing: Viewing | None = field(default=None, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)  # one lookup at a time
    refusals: dict[str, Exception] = field(default_factory=dict, repr=False)  # request id → its error, told again


class ClerkSessions:
    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._logins: dict[str, ClerkLogin] = {}
        self._lock = threading.Lock()

    def add(self, broker: ClerkSession) -> ClerkLogin:
        login = ClerkLogin(secrets.token_urlsafe(24), broker)
        with self._lock:
            self._logins[login.id] = login
        return login

    def get(self, login_id: str | None) -> ClerkLogin | None:
        if not login_id:
            return None
        with self._lock:
            login = self._logins.get(login_id)
        if login is None:
            return None
        if time.monotonic() - login.touched > self.timeout_s:
            self.remove(login_id)
            return None
        login.touched = time.monotonic()
        return login

    def peek(self, login_id: str | None) -> ClerkLogin | None:
        """The login if it is still live, without counting this as its activity."""
        with self._lock:
            login = self._logins.get(login_id or "")
        if login is None or time.monotonic() - login.touched > self.timeout_s:
            return None
        return login

    def remove(self, login_id: str) -> ClerkLogin | None:
        with self._lock:
            login = self._logins.pop(login_id, None)
        if login is not None:
            login.viewing = None
            login.refusals.clear()
        return login

    def due_for_purge(self) -> list[ClerkLogin]:
        now = time.monotonic()
        with self._lock:
            return [login for login in self._logins.values() if login.viewing and login.viewing.deadline <= now]
