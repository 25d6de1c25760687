"""The broker's memory that must survive a restart: what its attempt limits counted and the nonces its
signature check has seen. In memory only, a restart would forget both: a captured request could be replayed
and a guesser would start afresh (both were seen)."""

from __future__ import annotations

import secrets
import threading

from broker_sandbox.store import Store

KEEP_EVENTS_S = 2 * 86_400  # no limiter looks further back than a day


class SqliteJournal:
    """One limiter's attempts and lockouts in the sandbox's database (``counter_core.limits.AttemptJournal``)."""

    def __init__(self, store: Store, limiter: str) -> None:
        self.store = store
        self.limiter = limiter

    def load(self) -> tuple[dict[str, list[float]], dict[str, float]]:
        db = self.store.db
        events: dict[str, list[float]] = {}
        for key, at in db.execute("SELECT key, at FROM limit_events WHERE limiter = ?", [self.limiter]).fetchall():
            events.setdefault(key, []).append(at)
        locks = dict(db.execute("SELECT key, until FROM limit_locks WHERE limiter = ?", [self.limiter]).fetchall())
        return events, locks

    def recorded(self, key: str, at: float) -> None:
        db = self.store.db
        db.execute("INSERT INTO limit_events (limiter, key, at) VALUES (?, ?, ?)", [self.limiter, key, at])
        db.execute("DELETE FROM limit_events WHERE limiter = ? AND at < ?", [self.limiter, at - KEEP_EVENTS_S])

    def locked(self, key: str, until: float) -> None:
        self.store.db.execute(
            "INSERT OR REPLACE INTO limit_locks (limiter, key, until) VALUES (?, ?, ?)", [self.limiter, key, until]
        )

    def forgotten(self, key: str) -> None:
        self.store.db.execute("DELETE FROM limit_events WHERE limiter = ? AND key = ?", [self.limiter, key])


class SqliteNonces:
    """Request nonces seen by the signature check (``broker_client.signing.NonceStore``)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._writes = 0

    def first_seen(self, nonce: str, now: float, horizon: float) -> bool:
        db = self.store.db
        with self._lock:
            self._writes += 1
            if self._writes % 500 == 0:  # forget what no request can replay any more
                db.execute("DELETE FROM nonces WHERE seen_at <= ?", [horizon])
            row = db.execute("SELECT seen_at FROM nonces WHERE nonce = ?", [nonce]).fetchone()
            if row is not None and row[0] > horizon:
                return False
            db.execute("INSERT OR REPLACE INTO nonces (nonce, seen_at) VALUES (?, ?)", [nonce, now])
            return True


def sandbox_secret(store: Store, name: str) -> bytes:
    """A random key made once per database and kept in it (e.g. the key codes are derived with)."""
    db = store.db
    db.execute("INSERT OR IGNORE INTO sandbox_secrets (name, value) VALUES (?, ?)", [name, secrets.token_hex(32)])
    return bytes.fromhex(db.execute("SELECT value FROM sandbox_secrets WHERE name = ?", [name]).fetchone()[0])
