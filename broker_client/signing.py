"""RFC 9421 HTTP Message Signatures with Ed25519 terminal keys (``http-message-signatures``).

Every request covers method, authority, target URI and a Content-Digest of the body, with
``created`` and a random ``nonce``; the broker refuses unsigned, unknown-key, stale (> 60 s) and
replayed requests.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)

MAX_AGE_S = 60
COVERED = ("@method", "@authority", "@target-uri")
_KEYID = re.compile(r';keyid="([^"]{1,128})"')


class SignatureRejected(Exception):
    """Why a request's signature was refused: the text and a ``code`` (``ErrorBody.reason``) go back in the
    401 body."""

    def __init__(self, text: str, code: str = "malformed") -> None:
        super().__init__(text)
        self.code = code


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def create_private_key(path: Path) -> Ed25519PrivateKey:
    """A new key written with mode 0600 (the directory is created 0700)."""
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class _OneKey(HTTPSignatureKeyResolver):  # type: ignore[misc]
    """Resolves every key id to one key: the signer's own, or the key already looked up for a request."""

    def __init__(self, public: Ed25519PublicKey, private: Ed25519PrivateKey | None = None) -> None:
        self._public, self._private = public, private

    def resolve_private_key(self, key_id: str) -> Ed25519PrivateKey:
        if self._private is None:
            raise NotImplementedError
        return self._private

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey:
        return self._public


class RequestSigner:
    """Signs outgoing ``requests`` with this terminal's key (used as a requests ``auth``)."""

    def __init__(self, terminal_id: str, key: Ed25519PrivateKey, clock: Callable[[], float] = time.time) -> None:
        self.terminal_id = terminal_id
        self._clock = clock  # the terminal's clock, which stamps ``created``
        self._signer = HTTPMessageSigner(
            signature_algorithm=algorithms.ED25519, key_resolver=_OneKey(key.public_key(), key)
        )

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        self._signer.sign(
            request,
            key_id=self.terminal_id,
            created=datetime.fromtimestamp(int(self._clock()), UTC),
            nonce=secrets.token_urlsafe(16),
            body=body,
            covered_component_ids=COVERED,
        )
        return request


class NonceStore(Protocol):
    """Where a verifier remembers the nonces it has seen (a broker keeps them across restarts)."""

    def first_seen(self, nonce: str, now: float, horizon: float) -> bool:
        """Record ``nonce``; False if it was seen after ``horizon`` (a replay). May forget older ones."""


class MemoryNonces:
    """Nonces in memory: enough for a station that only checks kiosks' help calls."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_seen(self, nonce: str, now: float, horizon: float) -> bool:
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {n: t for n, t in self._seen.items() if t > horizon}
            if self._seen.get(nonce, -1.0) > horizon:
                return False
            self._seen[nonce] = now
            return True


class RequestVerifier:
    """Verifies incoming requests. A signature is accepted from ``max_age_s`` before to ``max_age_s`` after the
    verifier's clock (symmetric: a terminal's clock may be off either way by as much); its nonce is remembered
    for twice that, so a replay inside the window is refused — across restarts when the store is durable."""

    def __init__(
        self,
        lookup: Callable[[str], Ed25519PublicKey | None],
        max_age_s: int = MAX_AGE_S,
        nonces: NonceStore | None = None,
    ) -> None:
        self._lookup = lookup
        self._max_age_s = max_age_s
        self._nonces = nonces or MemoryNonces()

    def verify(self, request: Any, body: bytes) -> str:
        """The terminal id of a valid request; raises ``SignatureRejected`` with the reason."""
        if "Signature" not in request.headers or "Signature-Input" not in request.headers:
            raise SignatureRejected("unsigned request", "unsigned")
        key_id = _KEYID.search(request.headers["Signature-Input"])
        if key_id is None:
            raise SignatureRejected("signature has no keyid")
        key = self._lookup(key_id.group(1))
        if key is None:
            raise SignatureRejected("unknown terminal", "unknown_terminal")
        verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=_OneKey(key))
        verifier.max_clock_skew = timedelta(seconds=self._max_age_s)  # accepted: created within ± max_age_s
        try:
            results = verifier.verify(request, body=body, max_age=timedelta(0))
        except SignatureRejected:
            raise
        except HTTPMessageSignaturesException as exc:
            text = str(exc).lower()
            if "digest" in text:
                raise SignatureRejected("body does not match its digest", "digest") from exc
            if "maximum allowable age" in text or "created" in text or "expire" in text or "future" in text:
                raise SignatureRejected("stale or future-dated signature", "stale") from exc
            raise SignatureRejected("invalid signature", "bad_signature") from exc
        except Exception as exc:  # malformed structured fields and the like
            raise SignatureRejected("malformed signature") from exc
        result = results[0]
        if len(results) != 1 or str(result.parameters.get("keyid")) != key_id.group(1):
            # the key was looked up by the keyid found first; the verified signature must name that very key
            raise SignatureRejected("invalid signature", "bad_signature")
        covered = set(result.covered_components)
        if not {'"@method"', '"@target-uri"', '"content-digest"'} <= covered:
            raise SignatureRejected("signature does not cover method, target and body")
        created = int(result.parameters.get("created", 0))
        if abs(created - time.time()) > self._max_age_s:
            raise SignatureRejected("stale or future-dated signature", "stale")
        nonce = result.parameters.get("nonce")
        if not nonce:
            raise SignatureRejected("signature has no nonce")
        self._remember(str(nonce))
        return str(result.parameters["keyid"])

    def _remember(self, nonce: str) -> None:
        now = time.time()
        if not self._nonces.first_seen(nonce, now, now - 2 * self._max_age_s):
            raise SignatureRejected("replayed request", "replayed")
