"""Citizens at this counter's kiosks calling for a clerk (請櫃台協助). A call names the kiosk and the screen the
citizen is on — nothing about the citizen — and is signed with the kiosk's terminal key (RFC 9421, checked
against the keys in ``[clerk] help_kiosks``); a stranger on the LAN can neither raise nor read one. Every
clerk logged in at this station sees open calls; the first who answers is named to the kiosk."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from broker_client.signing import RequestVerifier, SignatureRejected
from counter_core.errors import CounterError

OPEN_S = 900.0  # a call not answered in 15 minutes is dropped
MAX_CALLS = 50
SCREENS = ("welcome", "takecard", "services", "terms", "identity", "print", "done", "unknown")


class HelpRefused(CounterError):
    key = "clerk.help.refused"


@dataclass
class HelpCall:
    id: str
    terminal: str  # the kiosk's terminal id (from its signature)
    kiosk: str  # its name, as the kiosk calls itself
    screen: str
    at: float
    answered_by: str = ""

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kiosk": self.kiosk,
            "screen": self.screen,
            "at": self.at,
            "answered_by": self.answered_by,
        }


def _public_key(path: Path) -> Ed25519PublicKey:
    """A kiosk's key from a PEM file: its public key, or (a one-machine demo) its private key file."""
    data = path.read_bytes()
    if b"PRIVATE KEY" in data:
        private = serialization.load_pem_private_key(data, password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError(f"{path}: not an Ed25519 key")
        return private.public_key()
    public = serialization.load_pem_public_key(data)
    if not isinstance(public, Ed25519PublicKey):
        raise ValueError(f"{path}: not an Ed25519 key")
    return public


class HelpBoard:
    def __init__(self, kiosk_keys: dict[str, Path]) -> None:
        self._keys = {terminal: _public_key(path) for terminal, path in kiosk_keys.items() if path.exists()}
        self._verifier = RequestVerifier(self._keys.get)
        self._calls: dict[str, HelpCall] = {}
        self._lock = threading.Lock()

    def _kiosk(self, request: Any) -> str:
        try:
            return self._verifier.verify(request, request.get_data(cache=True))
        except SignatureRejected:
            raise HelpRefused() from None

    def receive(self, request: Any, body: dict[str, Any]) -> HelpCall:
        terminal = self._kiosk(request)
        call_id = str(body.get("id", ""))[:32] or secrets.token_urlsafe(12)
        screen = str(body.get("screen", ""))
        call = HelpCall(
            call_id,
            terminal,
            str(body.get("kiosk", terminal))[:40],
            screen if screen in SCREENS else "unknown",
            time.time(),
        )
        with self._lock:
            now = time.time()
            self._calls = {i: c for i, c in self._calls.items() if now - c.at < OPEN_S}
            if len(self._calls) >= MAX_CALLS:
                raise HelpRefused()
            self._calls[call.id] = call
        return call

    def state(self, request: Any, call_id: str) -> str:
        terminal = self._kiosk(request)
        with self._lock:
            call = self._calls.get(call_id)
        if call is None or call.terminal != terminal:  # a kiosk asks only about its own calls
            return "unknown"
        return "acknowledged" if call.answered_by else "open"

    def answer(self, call_id: str, clerk: str) -> HelpCall | None:
        with self._lock:
            call = self._calls.get(call_id)
            if call is not None and not call.answered_by:
                call.answered_by = clerk
        return call

    def open_calls(self) -> list[HelpCall]:
        now = time.time()
        with self._lock:
            return [c for c in self._calls.values() if not c.answered_by and now - c.at < OPEN_S]
