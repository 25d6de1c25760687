"""The citizen's contact for notices (seed 000: 「輸入個人基本資訊，作為提供系統識別與通知用 / 選擇主要聯絡方式發送
驗證密碼驗證」): after the identity check the citizen gives a mobile number and/or an e-mail address, proves each
with a code sent there (SMS through the outbox; e-mail over real SMTP through the sandbox's mail process), and
chooses the main one. Notices go only to the verified main contact — never to an address the citizen did not
give and prove.

A contact changes only once the new one is proved: until then the old one stays. Codes live 10 minutes and allow
3 wrong tries; a citizen gets at most 5 codes an hour and a terminal 30 in 10 minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from broker_client import errors
from broker_client.models_citizen import ContactCodeSent, ContactKind, ContactStatus
from broker_sandbox.citizens import masked_phone
from broker_sandbox.flow_base import timestamp
from broker_sandbox.kiosk_flow import KioskFlow
from broker_sandbox.limits import EventLimiter

CODE_TTL_S = 600
CODE_TRIES = 3
CODES_PER_CITIZEN, CODES_PER_TERMINAL, CODES_WINDOW_S = 5, 30, 3600
EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+")


def normalised_phone(typed: str) -> str:
    """``0912-345-678``, ``+886 912 345 678`` → ``0912345678``; anything else is refused."""
    digits = re.sub(r"[\s\-()]", "", typed)
    digits = "0" + digits[4:] if digits.startswith("+886") else digits
    if not re.fullmatch(r"09\d{8}", digits):
        raise errors.ContactPhoneInvalid()
    return digits


def normalised_email(typed: str) -> str:
    address = typed.strip()
    if len(address) > 254 or not EMAIL.fullmatch(address) or ".." in address:
        raise errors.ContactEmailInvalid()
    local, domain = address.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def masked_email(address: str) -> str:
    """``citizen0001@example.tw`` → ``c***@example.tw``: enough for the citizen to recognise, not to read."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def masked(kind: str, address: str) -> str:
    return masked_phone(address) if kind == "phone" else masked_email(address)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


class Contacts:
    def __init__(self, flow: KioskFlow) -> None:
        self.flow = flow
        clock, limited = flow.clock, errors.ContactCodesLimited
        self.per_citizen = EventLimiter(CODES_PER_CITIZEN, CODES_WINDOW_S, clock=clock, limited=limited)
        self.per_terminal = EventLimiter(CODES_PER_TERMINAL, 600, clock=clock, limited=limited)

    # -- whose: the citizen this session proved -------------------------------------------------------
    def verified_citizen(self, terminal: str, session_id: str) -> tuple[dict[str, Any], str]:
        """The session and its citizen, once identity is complete (first use: both methods): a contact or a
        record of use belongs to a proved person only."""
        session = self.flow.session(session_id, terminal)
        methods = self.flow.passed(session)
        if not methods or self.flow.status(methods, session["national_id"]).needs_another_method:
            raise errors.IdentityRequired()
        return session, str(session["national_id"])

    def _row(self, national_id: str) -> dict[str, Any] | None:
        rows = list(self.flow.store.db.query("SELECT * FROM contacts WHERE national_id = ?", [national_id]))
        return rows[0] if rows else None

    def _status(self, session_id: str, national_id: str) -> ContactStatus:
        row = self._row(national_id) or {}
        pending = list(self.flow.store.db.query(
            "SELECT kind FROM contact_codes WHERE session_id = ? AND expires_at > ? ORDER BY expires_at DESC",
            [session_id, self.flow.clock.now()],
        ))  # fmt: skip
        phone, email = row.get("phone") or "", row.get("email") or ""
        return ContactStatus(
            phone=masked_phone(phone) if phone else None,
            email=masked_email(email) if email else None,
            primary=row.get("primary_kind") or None,
            pending=pending[0]["kind"] if pending else None,
            first_registration=not (phone or email),
        )

    def status(self, terminal: str, session_id: str) -> ContactStatus:
        _session, national_id = self.verified_citizen(terminal, session_id)
        return self._status(session_id, national_id)

    # -- proving a contact ----------------------------------------------------------------------------
    def send_code(self, terminal: str, session_id: str, kind: ContactKind, typed: str) -> ContactCodeSent:
        _session, national_id = self.verified_citizen(terminal, session_id)
        address = normalised_phone(typed) if kind == "phone" else normalised_email(typed)
        self.per_terminal.check(terminal)
        self.per_citizen.check(national_id)
        self.per_terminal.record(terminal)
        self.per_citizen.record(national_id)
        code = f"{secrets.randbelow(10**6):06d}"
        expires = self.flow.clock.now() + CODE_TTL_S
        self.flow.store.db.table("contact_codes").upsert({
            "id": f"{session_id}:{kind}", "session_id": session_id, "national_id": national_id, "kind": kind,
            "address": address, "code_hash": _hash(code), "expires_at": expires, "tries": 0,
        }, pk="id")  # fmt: skip
        if kind == "phone":
            self.flow.outbox.send_sms(
                address, f"【MyData】您的聯絡方式驗證碼為 {code}，10 分鐘內有效。Your MyData contact code: {code}"
            )
        else:
            self.flow.outbox.send_email(
                address,
                "MyData 聯絡方式驗證碼 / Your MyData contact code",
                f"您好：\n\n您在 MyData 臨櫃自助機登記此電子郵件為通知信箱，驗證碼為 {code}，10 分鐘內有效。\n"
                "如非您本人操作，請忽略本信，或洽客服電話 0800-009-868。\n\n"
                f"You registered this address for MyData notices at a counter kiosk. Your code: {code} "
                "(valid for 10 minutes). If this was not you, ignore this mail or call 0800-009-868.",
            )
        self.flow.audit.append(f"contact.{kind}.code_sent", terminal=terminal)
        sent_to = masked(kind, address)
        return ContactCodeSent(kind=kind, sent_to=sent_to, expires_at=timestamp(expires), tries=CODE_TRIES)

    def verify(self, terminal: str, session_id: str, kind: ContactKind, code: str) -> ContactStatus:
        _session, national_id = self.verified_citizen(terminal, session_id)
        key = f"{session_id}:{kind}"
        rows = list(self.flow.store.db.query("SELECT * FROM contact_codes WHERE id = ?", [key]))
        if not rows or rows[0]["national_id"] != national_id:
            raise errors.ContactNoCode()
        row = rows[0]
        if row["expires_at"] < self.flow.clock.now():
            raise errors.ContactCodeExpired()
        if row["tries"] >= CODE_TRIES:
            raise errors.ContactCodeUsedUp()
        if not hmac.compare_digest(row["code_hash"], _hash(code.strip())):
            tries = row["tries"] + 1
            self.flow.store.db.table("contact_codes").update(key, {"tries": tries})
            self.flow.audit.append(f"contact.{kind}.code_wrong", terminal=terminal)
            if tries >= CODE_TRIES:
                raise errors.ContactCodeUsedUp()
            raise errors.ContactCodeWrong(tries_left=CODE_TRIES - tries)
        self.flow.store.db.table("contact_codes").delete(key)
        current = self._row(national_id) or {
            "national_id": national_id, "phone": "", "phone_verified_at": 0.0, "email": "", "email_verified_at": 0.0,
            "primary_kind": "",
        }  # fmt: skip
        current.update({kind: row["address"], f"{kind}_verified_at": self.flow.clock.now()})
        if not current["primary_kind"]:
            current["primary_kind"] = kind  # the first contact proved is where notices go until changed
        self.flow.store.db.table("contacts").upsert(current, pk="national_id")
        self.flow.audit.append(f"contact.{kind}.verified", terminal=terminal)
        return self._status(session_id, national_id)

    def set_primary(self, terminal: str, session_id: str, kind: ContactKind) -> ContactStatus:
        _session, national_id = self.verified_citizen(terminal, session_id)
        row = self._row(national_id)
        if row is None or not row[kind]:
            raise errors.ContactNotVerified()
        self.flow.store.db.table("contacts").update(national_id, {"primary_kind": kind})
        self.flow.audit.append(f"contact.primary.{kind}", terminal=terminal)
        return self._status(session_id, national_id)

    # -- where a notice goes --------------------------------------------------------------------------
    def notice_target(self, national_id: str) -> tuple[ContactKind, str] | None:
        """The verified main contact, or None: a citizen who registered none gets no notice."""
        row = self._row(national_id)
        if row is None or row["primary_kind"] not in ("phone", "email") or not row[row["primary_kind"]]:
            return None
        kind: ContactKind = row["primary_kind"]
        return kind, str(row[kind])
