"""The sandbox's SQLite database (sqlite-utils): one connection per thread, WAL journal."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import sqlite_utils

SCHEMA: dict[str, tuple[dict[str, type], str | tuple[str, ...]]] = {
    "terminals": ({"id": str, "public_key": str, "registered_at": str}, "id"),
    "clerks": ({"username": str, "password_hash": str, "name": str, "agency_id": str}, "username"),
    "clerk_sessions": ({"token_hash": str, "username": str, "terminal_id": str, "expires_at": float}, "token_hash"),
    "kiosk_sessions": (
        {"id": str, "terminal_id": str, "service_id": str, "agency_id": str, "created_at": float,
         "expires_at": float, "consent_terms": str, "consent_datasets": str, "national_id": str,
         "methods": str, "challenge": str, "state": str},
        "id",
    ),
    "pushes": (
        {"id": str, "session_id": str, "national_id": str, "match_number": str, "choices": str,
         "created_at": float, "expires_at": float, "state": str},
        "id",
    ),
    "otps": ({"session_id": str, "national_id": str, "otp_hash": str, "expires_at": float, "tries": int},
             "session_id"),
    "citizen_usage": ({"national_id": str, "first_used_at": str}, "national_id"),
    # citizens who verified with the citizen certificate (card or app) at least once: SMS codes are open to them
    "certificate_checks": ({"national_id": str, "first_at": float}, "national_id"),
    # the NHI network password's wrong tries, kept like a PIN's
    "nhi_passwords": ({"national_id": str, "failures": int, "locked_until": float}, "national_id"),
    "codes": (
        {"code_hash": str, "session_id": str, "agency_id": str, "service_id": str, "national_id": str,
         "dataset_ids": str, "methods": str, "issued_at": float, "expires_at": float, "redeemed_at": float,
         "redeemed_by": str, "transaction_id": str},
        "code_hash",
    ),
    "audit": (
        {"seq": int, "time": str, "event": str, "terminal": str, "clerk": str, "code_hash": str,
         "dataset_ids": str, "prev_hash": str, "hash": str},
        "seq",
    ),
    # what the broker's limits counted and its replay cache saw, so a restart forgets neither
    "limit_events": ({"id": int, "limiter": str, "key": str, "at": float}, "id"),
    "limit_locks": ({"limiter": str, "key": str, "until": float}, ("limiter", "key")),
    "nonces": ({"nonce": str, "seen_at": float}, "nonce"),
    # a clerk's redemption named by the clerk page's request id: asked again, the same answer
    "redemption_requests": (
        {"terminal_id": str, "clerk": str, "request_id": str, "code_hash": str, "transaction_id": str, "at": float},
        ("terminal_id", "clerk", "request_id"),
    ),
    "sandbox_secrets": ({"name": str, "value": str}, "name"),
    # the citizen's own (broker_sandbox/contacts.py, usage.py, qr_signin.py): verified contacts for notices and
    # their pending codes, what each redemption released (records of use, no values), QR sign-ins, and each
    # session's consent record (terms version, how the terms were shown, the fields consented to)
    "contacts": ({"national_id": str, "phone": str, "phone_verified_at": float, "email": str,
                  "email_verified_at": float, "primary_kind": str}, "national_id"),
    "contact_codes": ({"id": str, "session_id": str, "national_id": str, "kind": str, "address": str,
                       "code_hash": str, "expires_at": float, "tries": int}, "id"),
    "releases": ({"transaction_id": str, "national_id": str, "agency_id": str, "service_id": str,
                  "datasets": str, "accessed_at": float}, "transaction_id"),
    "qr_signins": ({"id": str, "session_id": str, "terminal_id": str, "token_hash": str, "created_at": float,
                    "expires_at": float, "state": str, "push_id": str}, "id"),
    "consents": ({"session_id": str, "terms_version": str, "terms_shown": str, "released_fields": str,
                  "time": float}, "session_id"),
    "mail_queue": ({"id": int, "recipient": str, "subject": str, "body": str, "queued_at": float}, "id"),
    "outbox": ({"id": int, "kind": str, "recipient": str, "subject": str, "body": str, "time": str}, "id"),
}  # fmt: skip


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        db = self.db
        db.execute("PRAGMA journal_mode=WAL")
        for name, (columns, pk) in SCHEMA.items():
            if not db[name].exists():
                db.table(name).create(columns, pk=pk)
        db.table("codes").create_index(["transaction_id"], if_not_exists=True)
        db.table("codes").create_index(["session_id"], unique=True, if_not_exists=True)
        db.table("limit_events").create_index(["limiter", "key"], if_not_exists=True)
        db.table("releases").create_index(["national_id", "accessed_at"], if_not_exists=True)
        db.table("qr_signins").create_index(["token_hash"], if_not_exists=True)
        self._protect_audit()

    def _protect_audit(self) -> None:
        """The audit table is append-only in the database itself: UPDATE and DELETE abort. (Someone
        with the file can still drop the triggers; the hash chain is what detects that edit.)"""
        for action in ("UPDATE", "DELETE"):
            self.db.execute(
                f"CREATE TRIGGER IF NOT EXISTS audit_append_only_{action.lower()} BEFORE {action} ON audit "
                "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END"
            )

    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA busy_timeout=10000")
            db = sqlite_utils.Database(connection)
            self._local.db = db
        return db

    def reset(self) -> None:
        """Empty every table but ``terminals`` (registrations are configuration, not state)."""
        self.db.execute("DROP TRIGGER IF EXISTS audit_append_only_delete")
        for name in SCHEMA:
            if name != "terminals":
                self.db.execute(f"DELETE FROM [{name}]")
        self._protect_audit()
