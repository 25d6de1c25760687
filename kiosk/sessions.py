"""The citizen's session at the kiosk: server-side, in memory only, wiped on timeout, cancel, card pull.

A session holds the broker session, the chosen service, which identity methods passed and the issued
code until the receipt is out. Nothing of it is written to disk or logged.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from broker_client.models import IdentityStatus, IssuedCode, PushStarted, QrStarted
from broker_client.models_citizen import ContactStatus
from counter_core.identity import method


@dataclass
class KioskSession:
    id: str
    language: str
    started: float = field(default_factory=time.monotonic)
    touched: float = field(default_factory=time.monotonic)
    service_id: str = ""
    broker_session: str = ""
    terms_version: str = ""
    dataset_ids: list[str] = field(default_factory=list)
    code_ttl_s: int = 600
    view_window_s: int = 600
    consented: bool = False
    identity: IdentityStatus | None = None
    push: PushStarted | None = field(default=None, repr=False)
    push_started: float = 0.0
    qr: QrStarted | None = field(default=None, repr=False)  # the sign-in QR on screen
    contact: ContactStatus | None = field(default=None, repr=False)  # where notices go (masked), once asked
    issued: IssuedCode | None = field(default=None, repr=False)
    printed: bool = False
    active_method: str = ""  # the identity method on screen now
    socket_token: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)  # joins its room
    card_left: bool = False  # a card from before this citizen is still in the reader
    card_here: bool = False  # a card was inserted during this session (only its removal can end the session)
    print_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    prints: dict[str, Any] = field(default_factory=dict, repr=False)  # request id → its outcome (asked again)

    def uses_card(self, card_type: str | None) -> bool:
        """At the step of that card, not passed yet: pulling the card there means the citizen left."""
        step = method(self.active_method)
        return step is not None and step.card is not None and step.card == card_type and step.id not in self.methods

    @property
    def methods(self) -> list[str]:
        return list(self.identity.methods_passed) if self.identity else []

    @property
    def verified(self) -> bool:
        return self.identity is not None and not self.identity.needs_another_method

    def public(self) -> dict[str, Any]:
        """What the page may know: progress, never personal values beyond the masked ID."""
        return {
            "service_id": self.service_id,
            "consented": self.consented,
            "methods": self.methods,
            "needs_another_method": bool(self.identity and self.identity.needs_another_method),
            "reason_key": self.identity.reason_key if self.identity else "",
            "masked_id": self.identity.citizen_masked_id if self.identity else "",
            "verified": self.verified,
            "printed": self.printed,
            "notice_to": self.notice_to(),
        }

    def notice_to(self) -> str:
        """Where the notice of this code's use will go, masked; "" when no verified contact is registered."""
        contact = self.contact
        if contact is None or contact.primary is None:
            return ""
        return (contact.phone if contact.primary == "phone" else contact.email) or ""


class SessionStore:
    """Sessions by id; ``sweep`` wipes those idle longer than ``max_idle_s``."""

    def __init__(self, max_idle_s: float) -> None:
        self.max_idle_s = max_idle_s
        self._sessions: dict[str, KioskSession] = {}
        self._lock = threading.Lock()

    def create(self, language: str) -> KioskSession:
        session = KioskSession(secrets.token_urlsafe(24), language)
        with self._lock:
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> KioskSession | None:
        if not session_id:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
        if session is not None:
            session.touched = time.monotonic()
        return session

    def all(self) -> list[KioskSession]:
        with self._lock:
            return list(self._sessions.values())

    def by_socket_token(self, token: str) -> KioskSession | None:
        """The session whose page presents ``token`` (given to it by /api/start) to join its events' room."""
        with self._lock:
            return next((s for s in self._sessions.values() if secrets.compare_digest(s.socket_token, token)), None)

    def wipe(self, session_id: str) -> KioskSession | None:
        with self._lock:
            session = self._sessions.pop(session_id, None)
        if session is not None:  # drop references to everything the citizen gave
            session.identity = None
            session.push = None
            session.qr = None
            session.contact = None
            session.issued = None
            session.prints.clear()
        return session

    def wipe_where(self, condition: Callable[[KioskSession], bool]) -> list[KioskSession]:
        with self._lock:
            ids = [i for i, s in self._sessions.items() if condition(s)]
        return [s for s in (self.wipe(i) for i in ids) if s is not None]

    def sweep(self) -> list[KioskSession]:
        now = time.monotonic()
        with self._lock:
            stale = [i for i, s in self._sessions.items() if now - s.touched > self.max_idle_s]
        return [s for s in (self.wipe(i) for i in stale) if s is not None]

    def __len__(self) -> int:
        return len(self._sessions)
