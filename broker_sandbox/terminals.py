"""Registered terminals (kiosks, clerk stations) and their Ed25519 public keys."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from broker_client.signing import create_private_key, load_private_key, public_key_pem
from broker_sandbox.store import Store

log = logging.getLogger(__name__)


class Terminals:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._keys: dict[str, Ed25519PublicKey] = {}  # PEM -> parsed key

    def register(self, terminal_id: str, public_pem: str) -> None:
        serialization.load_pem_public_key(public_pem.encode())  # refuse garbage early
        self._store.db.table("terminals").upsert(
            {"id": terminal_id, "public_key": public_pem, "registered_at": datetime.now(UTC).isoformat()},
            pk="id",
        )

    def public_key(self, terminal_id: str) -> Ed25519PublicKey | None:
        """The terminal's current key, read on every request (an indexed lookup, ~10 µs): a terminal
        registered, re-keyed or removed while the sandbox runs counts at once. Parsed keys are cached by
        their PEM."""
        row = self._store.db.execute("SELECT public_key FROM terminals WHERE id = ?", [terminal_id]).fetchone()
        if row is None:
            return None
        pem: str = row[0]
        key = self._keys.get(pem)
        if key is None:
            loaded = serialization.load_pem_public_key(pem.encode())
            if not isinstance(loaded, Ed25519PublicKey):
                return None
            key = self._keys[pem] = loaded
        return key

    def register_demo_key(self, terminal_id: str, key_file: Path) -> None:
        """Demo mode only: create the terminal key if missing and trust it."""
        key = load_private_key(key_file) if key_file.exists() else create_private_key(key_file)
        self.register(terminal_id, public_key_pem(key))
        log.info("demo mode: terminal %s registered from %s", terminal_id, key_file)
