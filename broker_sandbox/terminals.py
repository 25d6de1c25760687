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
        self._keys: dict[str, Ed25519PublicKey] = {}

    def register(self, terminal_id: str, public_pem: str) -> None:
        serialization.load_pem_public_key(public_pem.encode())  # refuse garbage early
        self._store.db.table("terminals").upsert(
            {"id": terminal_id, "public_key": public_pem, "registered_at": datetime.now(UTC).isoformat()},
            pk="id",
        )
        self._keys.pop(terminal_id, None)

    def public_key(self, terminal_id: str) -> Ed25519PublicKey | None:
        """The terminal's key. Only known keys are cached: a terminal registered from the command line
        while the sandbox runs is trusted on its next request, without a restart."""
        key = self._keys.get(terminal_id)
        if key is not None:
            return key
        rows = list(self._store.db.query("SELECT public_key FROM terminals WHERE id = ?", [terminal_id]))
        if not rows:
            return None
        loaded = serialization.load_pem_public_key(rows[0]["public_key"].encode())
        if not isinstance(loaded, Ed25519PublicKey):
            return None
        self._keys[terminal_id] = loaded
        return loaded

    def register_demo_key(self, terminal_id: str, key_file: Path) -> None:
        """Demo mode only: create the terminal key if missing and trust it."""
        key = load_private_key(key_file) if key_file.exists() else create_private_key(key_file)
        self.register(terminal_id, public_key_pem(key))
        log.info("demo mode: terminal %s registered from %s", terminal_id, key_file)
