"""The broker's own keys that sign data codes (``counter_core.signed_code``): current and next, in the
sandbox's SQLite store, rotated on request.

Rotation publishes a key before it signs anything: ``next`` is in the key list from the moment it is made,
so a clerk station that fetched the list once can verify codes signed after a rotation without asking again
(offline, if need be). At a rotation ``current`` becomes ``retired`` (``signs_until`` = now), ``next`` becomes
``current`` and a new ``next`` is made. A retired key stays published until every code it signed has expired
(``signs_until`` + the longest code lifetime), then its private half is deleted and it leaves the list.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from broker_client.models import CodeKey, CodeKeys
from broker_sandbox.store import Store
from counter_core.clock import Clock
from counter_core.signed_code import CodeClaims, key_id, raw_public_key, sign_code

REFRESH_S = 3600  # stations re-read the list hourly; a new ``next`` is published long before it signs
RETIRED_GRACE_S = 60  # a retired key outlives its last code by the clock skew stations are allowed


def _timestamp(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


@dataclass(frozen=True)
class _Key:
    kid: str
    private: Ed25519PrivateKey
    state: str
    signs_from: float
    signs_until: float  # 0: still signing, or will


class CodeKeyring:
    def __init__(self, store: Store, clock: Clock, code_ttl_s: int) -> None:
        self.store = store
        self.clock = clock
        self.code_ttl_s = code_ttl_s
        self._lock = threading.Lock()
        self._parsed: dict[str, Ed25519PrivateKey] = {}
        with self._lock:
            self._ensure()

    # -- storage ---------------------------------------------------------------------------------
    def _new_key(self, state: str, now: float) -> None:
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        self.store.db.execute(
            "INSERT INTO code_keys (kid, private_pem, state, signs_from, signs_until) VALUES (?, ?, ?, ?, 0)",
            [key_id(key).hex(), pem, state, now],
        )

    def _ensure(self) -> None:
        """A current and a next key exist (a new database, or one from before signed codes, gets both)."""
        states = {row[0] for row in self.store.db.execute("SELECT state FROM code_keys").fetchall()}
        now = self.clock.now()
        for state in ("current", "next"):
            if state not in states:
                self._new_key(state, now)

    def _keys(self) -> list[_Key]:
        rows = self.store.db.execute(
            "SELECT kid, private_pem, state, signs_from, signs_until FROM code_keys ORDER BY signs_from"
        ).fetchall()
        return [_Key(kid, self._private(kid, pem), state, since, until) for kid, pem, state, since, until in rows]

    def _private(self, kid: str, pem: str) -> Ed25519PrivateKey:
        key = self._parsed.get(kid)
        if key is None:
            loaded = serialization.load_pem_private_key(pem.encode(), password=None)
            assert isinstance(loaded, Ed25519PrivateKey)
            key = self._parsed[kid] = loaded
        return key

    # -- what the broker does with them -------------------------------------------------------------
    def sign(self, claims: CodeClaims) -> str:
        """The QR text of a code, signed with the current key."""
        current = next(k for k in self._keys() if k.state == "current")
        return sign_code(claims, current.private)

    def published(self) -> CodeKeys:
        """Every key a station needs: current, next, and retired ones whose codes may still be valid."""
        with self._lock:
            self._forget_retired(self.clock.now())
            keys = self._keys()
        return CodeKeys(
            keys=[
                CodeKey(
                    kid=key.kid,
                    x=base64.urlsafe_b64encode(raw_public_key(key.private)).rstrip(b"=").decode(),
                    state=key.state,  # type: ignore[arg-type]
                    signs_from=_timestamp(key.signs_from),
                    signs_until=_timestamp(key.signs_until) if key.signs_until else None,
                )
                for key in keys
            ],
            max_code_ttl_s=self.code_ttl_s,
            refresh_s=REFRESH_S,
        )

    def rotate(self) -> CodeKeys:
        """current → retired, next → current, a new next; returns the list now published."""
        with self._lock:
            db = self.store.db
            now = self.clock.now()
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("UPDATE code_keys SET state = 'retired', signs_until = ? WHERE state = 'current'", [now])
                db.execute("UPDATE code_keys SET state = 'current' WHERE state = 'next'")
                self._new_key("next", now)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return self.published()

    def _forget_retired(self, now: float) -> None:
        """Delete retired keys whose last code has expired: nothing they signed can be valid any more."""
        horizon = now - self.code_ttl_s - RETIRED_GRACE_S
        self.store.db.execute(
            "DELETE FROM code_keys WHERE state = 'retired' AND signs_until > 0 AND signs_until < ?", [horizon]
        )
