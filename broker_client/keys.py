"""A terminal's Ed25519 key as a technician and a broker operator see it: the fingerprint both compare, the
file's state (mode, owner), and the registration request the operator acts on.

The fingerprint is ``SHA256:`` and the unpadded base64 of the SHA-256 of the raw 32-byte public key: short
enough to read over the phone, the same wherever the key is shown (``terminal init``/``show``, ``hw doctor``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import pwd
import socket
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from broker_client.signing import public_key_pem

REQUEST_FORMAT = "mydata-counter/terminal-registration/1"


def fingerprint(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")


def owner_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def user_id(name: str) -> int | None:
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


@dataclass(frozen=True)
class KeyFile:
    """What ``inspect_key`` found: the key (None when the file is not an Ed25519 private key), its mode and
    owner."""

    path: Path
    key: Ed25519PrivateKey | None
    mode: int  # permission bits only, e.g. 0o600
    owner: str
    uid: int

    @property
    def private_to_owner(self) -> bool:
        return self.mode & 0o077 == 0


def inspect_key(path: Path) -> KeyFile:
    """Raises ``FileNotFoundError`` / ``PermissionError`` as reading the file does."""
    info = path.stat()
    data = path.read_bytes()
    key: Ed25519PrivateKey | None = None
    try:
        loaded = serialization.load_pem_private_key(data, password=None)
        key = loaded if isinstance(loaded, Ed25519PrivateKey) else None
    except (ValueError, TypeError):
        key = None
    return KeyFile(path, key, stat.S_IMODE(info.st_mode), owner_name(info.st_uid), info.st_uid)


def hand_to(user: str, *paths: Path) -> bool:
    """Give the key file (and a directory made for it) to ``user`` when running as root; False when that user
    does not exist or we are not root (the files stay the caller's)."""
    uid = user_id(user)
    if uid is None or os.geteuid() != 0:
        return False
    gid = pwd.getpwnam(user).pw_gid
    for path in paths:
        os.chown(path, uid, gid)
    return True


def registration_request(terminal_id: str, key: Ed25519PrivateKey, now: datetime | None = None) -> dict[str, Any]:
    """What the broker operator needs to register this terminal (``mydata-counter sandbox register-terminal
    --request FILE`` takes it as it is)."""
    return {
        "format": REQUEST_FORMAT,
        "terminal_id": terminal_id,
        "public_key": public_key_pem(key),
        "fingerprint": fingerprint(key),
        "hostname": socket.gethostname(),
        "created_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
    }
