"""Sign-in started by a QR code on the kiosk (as Singpass's face-to-face flow): nothing typed on a public screen.

The kiosk asks for a QR (``start``): a link with a one-time random token, bound to that kiosk session and its
terminal, living ``QR_TTL_S``. The citizen scans it with the mobile-certificate app (the phone simulator's
"scan": upload a picture, paste the text, or open the link); the app names the citizen, and the broker sends
that phone an ordinary push with number matching for the kiosk's session (``scan``). The kiosk, polling
``state``, learns of the push and shows its number; from there it is the push of ``identity_phone``: the phone
shows three numbers, a wrong pick is a failed check.

Why it cannot be replayed: the token works once (claimed by one atomic UPDATE), only until it expires, only
while its kiosk session is open, and only for that session — another kiosk can neither read its state (a
session belongs to its terminal) nor take the push it makes. Only the token's hash is stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from broker_client import errors
from broker_client.models import PushStarted, QrStarted, QrState
from broker_sandbox.flow_base import timestamp
from broker_sandbox.identity_phone import PhoneMethods
from broker_sandbox.kiosk_flow import KioskFlow

QR_TTL_S = 60
TOKEN = re.compile(r"(?:/qr/)?([A-Za-z0-9_-]{32})/?$")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_in(scanned: str) -> str | None:
    """The token in what the phone scanned or was pasted: the kiosk's link, or the bare token."""
    found = TOKEN.search(scanned.strip())
    return found.group(1) if found else None


class QrSignIn:
    def __init__(self, flow: KioskFlow, phone: PhoneMethods) -> None:
        self.flow = flow
        self.phone = phone

    def start(self, terminal: str, session_id: str, base_url: str) -> QrStarted:
        """A fresh QR for this session (an earlier one of the session stops working)."""
        self.flow.begin(terminal, session_id, "mobile")
        now = self.flow.clock.now()
        db = self.flow.store.db
        db.execute("UPDATE qr_signins SET state = 'expired' WHERE session_id = ? AND state = 'waiting'", [session_id])
        token, qr_id = secrets.token_urlsafe(24), secrets.token_urlsafe(12)
        db.table("qr_signins").insert({
            "id": qr_id, "session_id": session_id, "terminal_id": terminal, "token_hash": _hash(token),
            "created_at": now, "expires_at": now + QR_TTL_S, "state": "waiting", "push_id": "",
        })  # fmt: skip
        self.flow.audit.append("identity.mobile.qr", terminal=terminal)
        link = f"{base_url.rstrip('/')}/qr/{token}"
        return QrStarted(qr_id=qr_id, payload=link, expires_at=timestamp(now + QR_TTL_S))

    def _row(self, column: str, value: str) -> dict[str, Any] | None:
        rows = list(self.flow.store.db.query(f"SELECT * FROM qr_signins WHERE {column} = ?", [value]))
        return rows[0] if rows else None

    def state(self, terminal: str, session_id: str, qr_id: str) -> QrState:
        self.flow.session(session_id, terminal)  # this terminal's open session
        row = self._row("id", qr_id)
        if row is None or row["session_id"] != session_id:
            raise errors.NotFound(what="qr")
        if row["state"] == "waiting" and row["expires_at"] < self.flow.clock.now():
            self.flow.store.db.table("qr_signins").update(qr_id, {"state": "expired"})
            row["state"] = "expired"
        push = None
        if row["state"] == "scanned" and row["push_id"]:
            pushes = list(self.flow.store.db.query("SELECT * FROM pushes WHERE id = ?", [row["push_id"]]))
            if pushes:
                p = pushes[0]
                expires = timestamp(p["expires_at"])
                push = PushStarted(push_id=p["id"], match_number=p["match_number"], expires_at=expires)
        return QrState(qr_id=qr_id, state=row["state"], push=push)

    def scan(self, national_id: str, scanned: str) -> dict[str, Any]:
        """The app of ``national_id`` scanned ``scanned``: claim the QR once and push to this phone. The
        answer is what the phone shows: ``push`` (with the kiosk and service to check), or why not."""
        token = token_in(scanned)
        row = self._row("token_hash", _hash(token)) if token else None
        if row is None:
            return {"state": "unknown"}
        now = self.flow.clock.now()
        if row["state"] != "waiting":
            return {"state": "used" if row["state"] == "scanned" else "expired"}
        if row["expires_at"] < now:
            return {"state": "expired"}
        claimed = self.flow.store.db.execute(
            "UPDATE qr_signins SET state = 'scanned' WHERE id = ? AND state = 'waiting'", [row["id"]]
        )
        if claimed.rowcount != 1:  # scanned twice at once: the other scan has it
            return {"state": "used"}
        try:
            session = self.flow.session(row["session_id"], row["terminal_id"])
            if session["national_id"] and session["national_id"] != national_id.upper():
                raise errors.IdentityMismatch()
            push = self.phone.push_start(row["terminal_id"], row["session_id"], national_id)
        except errors.BrokerError as error:
            self.flow.store.db.table("qr_signins").update(row["id"], {"state": "expired"})
            return {"state": "refused", "error": error.key}
        self.flow.store.db.table("qr_signins").update(row["id"], {"push_id": push.push_id})
        self.flow.audit.append("identity.mobile.qr_scanned", terminal=row["terminal_id"])
        return {"state": "push", "push_id": push.push_id}
