"""Identity through the citizen's phone: the mobile citizen certificate (push with number matching, answered
on the phone simulator) and the SMS one-time password.

SMS codes follow the platform's rule 「首次上傳自然人憑證，爾後使用一次性密碼驗證」: they are open only to a
citizen who has verified once with the citizen certificate (card or app, in this session or before). The
citizen types their ID and mobile number; the code goes only to the number on file, and the answer (the
typed number, masked) is the same whether the number matched, the citizen is unknown or not yet open to SMS,
so the kiosk cannot be used to learn anyone's number. Without a typed number (the deprecated form) the
broker answers with the number on file, masked, as it always did.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
import secrets
from typing import Any

from broker_client import errors
from broker_client.models import IdentityStatus, OtpSent, PushStarted, PushState
from broker_sandbox.citizens import masked_phone
from broker_sandbox.flow_base import timestamp
from broker_sandbox.kiosk_flow import KioskFlow
from counter_core.national_id import is_valid_national_id

OTP_TRIES = 3
OTP_TTL_S = 300


def normalised_phone(typed: str) -> str:
    """``0912-345-678``, ``+886 912 345 678`` → ``0912345678``; anything else is refused."""
    digits = re.sub(r"[\s\-()]", "", typed)
    digits = "0" + digits[4:] if digits.startswith("+886") else digits
    if not re.fullmatch(r"09\d{8}", digits):
        raise errors.ValidationFailed(field="phone")
    return digits


def _hash(otp: str) -> str:
    return hashlib.sha256(otp.encode()).hexdigest()


class PhoneMethods:
    def __init__(self, flow: KioskFlow) -> None:
        self.flow = flow

    # -- mobile certificate push -----------------------------------------------------------------
    def push_start(self, terminal: str, session_id: str, national_id: str) -> PushStarted:
        session = self.flow.begin(terminal, session_id, "mobile")
        # A second method need not be told the ID again: "" means the one this session's first method proved.
        national_id = national_id.strip().upper() or session["national_id"]
        if not is_valid_national_id(national_id) or self.flow.citizen(national_id) is None:
            raise errors.UnknownCitizen()  # no citizen can hold an ID whose check digit is wrong
        self.flow.attempts.prompt(terminal, national_id)
        now = self.flow.clock.now()
        match = f"{secrets.randbelow(100):02d}"
        decoys: set[str] = set()
        while len(decoys) < 2:
            candidate = f"{secrets.randbelow(100):02d}"
            if candidate != match:
                decoys.add(candidate)
        push_id = secrets.token_urlsafe(12)
        expires = now + self.flow.settings.push_ttl_s
        self.flow.store.db.table("pushes").insert({
            "id": push_id, "session_id": session_id, "national_id": national_id, "match_number": match,
            "choices": json.dumps(sorted([match, *decoys])), "created_at": now, "expires_at": expires,
            "state": "pending",
        })  # fmt: skip
        self.flow.audit.append("identity.mobile.push", terminal=terminal)
        return PushStarted(push_id=push_id, match_number=match, expires_at=timestamp(expires))

    def _push(self, push_id: str) -> dict[str, Any] | None:
        rows = list(self.flow.store.db.query("SELECT * FROM pushes WHERE id = ?", [push_id]))
        if not rows:
            return None
        row = rows[0]
        if row["state"] == "pending" and row["expires_at"] < self.flow.clock.now():
            self.flow.store.db.table("pushes").update(push_id, {"state": "expired"})
            row["state"] = "expired"
        return row

    def push_status(self, terminal: str, session_id: str, push_id: str) -> PushState:
        session = self.flow.session(session_id, terminal)
        push = self._push(push_id)
        if push is None or push["session_id"] != session_id:
            raise errors.NotFound(what="push")
        if push["state"] != "approved":
            return PushState(push_id=push_id, state=push["state"])
        methods = self.flow.passed(session)
        if "mobile" in methods:
            status = self.flow.status(methods, push["national_id"])
        else:
            status = self.flow.pass_method(session, "mobile", push["national_id"])
        return PushState(push_id=push_id, state="approved", identity=status)

    def pending_pushes(self, national_id: str) -> list[dict[str, Any]]:
        now = self.flow.clock.now()
        rows = self.flow.store.db.query(
            "SELECT p.id, p.choices, p.expires_at, s.service_id, s.terminal_id FROM pushes p JOIN kiosk_sessions s "
            "ON s.id = p.session_id WHERE p.national_id = ? AND p.state = 'pending' AND p.expires_at > ? "
            "AND s.state = 'open' ORDER BY p.created_at DESC",  # a session closed at the kiosk takes its push along
            [national_id.upper(), now],
        )
        result = []
        for row in rows:
            service = self.flow.catalogue.service(row["service_id"])
            result.append({
                "push_id": row["id"], "choices": json.loads(row["choices"]),
                "seconds_left": int(row["expires_at"] - now),
                "service": service.name.model_dump(by_alias=True) if service else {},
                "kiosk": row["terminal_id"],  # which kiosk asks: a QR photographed from elsewhere shows up here
            })  # fmt: skip
        return result

    def answer_push(self, national_id: str, push_id: str, action: str, choice: str) -> str:
        push = self._push(push_id)
        if push is None or push["national_id"] != national_id.upper() or push["state"] != "pending":
            return "gone"
        open_session = list(self.flow.store.db.query(
            "SELECT terminal_id FROM kiosk_sessions WHERE id = ? AND state = 'open'", [push["session_id"]]
        ))  # fmt: skip
        if not open_session:  # the citizen left the kiosk: nothing to approve any more
            return "gone"
        terminal = open_session[0]["terminal_id"]
        if action != "approve":
            state = "denied"
        elif hmac.compare_digest(choice, push["match_number"]):
            state = "approved"
        else:  # approving the wrong number is a failed check, not a refusal (push fatigue, a shoulder-surfer)
            state = "wrong_number"
            with contextlib.suppress(errors.BrokerError):  # a lock is felt at the next check, not by the phone
                self.flow.attempts.failed(terminal, "mobile", push["national_id"])
        self.flow.store.db.table("pushes").update(push_id, {"state": state})
        self.flow.audit.append(f"identity.mobile.{state}")
        return state

    # -- SMS one-time password -------------------------------------------------------------------
    def otp_send(self, terminal: str, session_id: str, national_id: str, phone: str | None = None) -> OtpSent:
        session = self.flow.begin(terminal, session_id, "otp")
        national_id = national_id.strip().upper() or session["national_id"]  # "": the ID already proved
        if session["national_id"] and session["national_id"] != national_id:
            raise errors.IdentityMismatch()
        if phone is None:
            return self._otp_send_on_file(terminal, session_id, national_id)
        typed = normalised_phone(phone)
        if not is_valid_national_id(national_id):
            raise errors.UnknownCitizen()  # a typo, not a citizen: no ID with a wrong check digit exists
        self.flow.attempts.prompt(terminal, national_id)
        citizen = self.flow.citizen(national_id)
        deliver = (
            citizen is not None
            and hmac.compare_digest(typed, citizen.phone)
            and self.flow.has_certificate_check(national_id)
        )
        otp = f"{secrets.randbelow(10**6):06d}"
        self._store_otp(session_id, national_id, _hash(otp) if deliver else _hash(secrets.token_hex(16)))
        if citizen is not None and deliver:
            self._send(citizen.phone, otp)
        self.flow.audit.append("identity.otp.requested", terminal=terminal)
        return OtpSent(sent_to=masked_phone(typed))

    def _otp_send_on_file(self, terminal: str, session_id: str, national_id: str) -> OtpSent:
        citizen = self.flow.citizen(national_id)
        if citizen is None:
            raise errors.UnknownCitizen()
        if not self.flow.has_certificate_check(citizen.national_id):
            raise errors.OtpNotEnrolled()
        self.flow.attempts.prompt(terminal, citizen.national_id)
        otp = f"{secrets.randbelow(10**6):06d}"
        self._store_otp(session_id, citizen.national_id, _hash(otp))
        self._send(citizen.phone, otp)
        self.flow.audit.append("identity.otp.sent", terminal=terminal)
        return OtpSent(sent_to=masked_phone(citizen.phone))

    def _store_otp(self, session_id: str, national_id: str, otp_hash: str) -> None:
        self.flow.store.db.table("otps").upsert({
            "session_id": session_id, "national_id": national_id, "otp_hash": otp_hash,
            "expires_at": self.flow.clock.now() + OTP_TTL_S, "tries": 0,
        }, pk="session_id")  # fmt: skip

    def _send(self, phone: str, otp: str) -> None:
        self.flow.outbox.send_sms(phone, f"【MyData】您的臨櫃驗證碼為 {otp}，5 分鐘內有效。Your code: {otp}")

    def otp_verify(self, terminal: str, session_id: str, otp: str) -> IdentityStatus:
        self.flow.session(session_id, terminal)  # this terminal's open session, before its code is looked at
        rows = list(self.flow.store.db.query("SELECT * FROM otps WHERE session_id = ?", [session_id]))
        if not rows or rows[0]["expires_at"] < self.flow.clock.now() or rows[0]["tries"] >= OTP_TRIES:
            raise errors.IdentityFailed()
        row = rows[0]
        session = self.flow.begin(terminal, session_id, "otp", row["national_id"])
        if not hmac.compare_digest(row["otp_hash"], _hash(otp.strip())):
            self.flow.store.db.table("otps").update(session_id, {"tries": row["tries"] + 1})
            self.flow.attempts.failed(terminal, "otp", row["national_id"])
            raise errors.OtpWrong(tries_left=OTP_TRIES - row["tries"] - 1)
        self.flow.store.db.table("otps").delete(session_id)
        return self.flow.pass_method(session, "otp", row["national_id"])
