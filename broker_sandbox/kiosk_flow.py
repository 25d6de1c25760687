"""The kiosk side of the broker: sessions, consent, identity methods, the first-use rule, codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from broker_client import errors
from broker_client.models import (
    IdentityMethod,
    IdentityStatus,
    IssuedCode,
    KioskSession,
    OtpSent,
    PushStarted,
    PushState,
)
from broker_sandbox.audit import AuditLog, code_hash
from broker_sandbox.ca import CertificateRejected, verify_citizen_signature
from broker_sandbox.catalogue import Catalogues
from broker_sandbox.citizens import Citizen, find_citizen, generate_citizens, masked_phone
from broker_sandbox.flow_base import SandboxFlow, timestamp
from broker_sandbox.limits import EventLimiter
from broker_sandbox.outbox import Outbox
from broker_sandbox.store import Store
from counter_core.datacode import new_code, qr_payload
from counter_core.national_id import is_valid_national_id, masked
from counter_core.settings import SandboxSettings

OTP_TRIES = 3
OTP_TTL_S = 300
# Pushes and SMS codes per citizen: more than PROMPT_BURST in PROMPT_WINDOW_S → 429. Stops a kiosk from
# bombarding someone's phone (push fatigue, SMS flooding) by typing their national ID again and again.
PROMPT_BURST, PROMPT_WINDOW_S = 5, 600


class KioskFlow(SandboxFlow):
    def __init__(
        self, settings: SandboxSettings, store: Store, audit: AuditLog, catalogue: Catalogues, outbox: Outbox
    ) -> None:
        super().__init__(settings, store, audit, catalogue, outbox)
        self.prompts = EventLimiter(PROMPT_BURST, PROMPT_WINDOW_S)

    # -- helpers ---------------------------------------------------------------------------------
    def _citizen(self, national_id: str) -> Citizen | None:
        return find_citizen(self.settings.seed, self.settings.citizens, national_id)

    def _session(self, session_id: str, terminal: str) -> dict[str, Any]:
        rows = list(self.store.db.query("SELECT * FROM kiosk_sessions WHERE id = ?", [session_id]))
        if not rows or rows[0]["terminal_id"] != terminal or rows[0]["state"] == "closed":
            raise errors.SessionExpired()
        row = rows[0]
        if row["expires_at"] < time.time():
            raise errors.SessionExpired()
        return row

    def _update(self, session_id: str, **values: Any) -> None:
        self.store.db.table("kiosk_sessions").update(session_id, values)

    def _first_use(self, national_id: str) -> bool:
        return not list(self.store.db.query("SELECT 1 FROM citizen_usage WHERE national_id = ?", [national_id]))

    def _pass_method(self, session: dict[str, Any], method: IdentityMethod, national_id: str) -> IdentityStatus:
        methods: list[IdentityMethod] = json.loads(session["methods"] or "[]")
        if session["national_id"] and session["national_id"] != national_id:
            raise errors.IdentityMismatch()
        if method in methods:
            raise errors.SameMethodTwice()
        methods.append(method)
        self._update(session["id"], national_id=national_id, methods=json.dumps(methods))
        self.audit.append(f"identity.{method}", terminal=session["terminal_id"])
        return self._status(methods, national_id)

    def _status(self, methods: list[IdentityMethod], national_id: str) -> IdentityStatus:
        first = self._first_use(national_id)
        needed = 2 if first else 1
        return IdentityStatus(
            methods_passed=methods,
            needs_another_method=len(methods) < needed,
            reason_key="broker.identity.first_use" if first and len(methods) < needed else "",
            citizen_masked_id=masked(national_id),
        )

    # -- session and consent ---------------------------------------------------------------------
    def start(self, terminal: str, service_id: str) -> KioskSession:
        service = self.catalogue.service(service_id)
        if service is None:
            raise errors.NotFound(what="service")
        now = time.time()
        session_id = secrets.token_urlsafe(18)
        self.store.db.table("kiosk_sessions").insert({
            "id": session_id, "terminal_id": terminal, "service_id": service.id, "agency_id": service.agency_id,
            "created_at": now, "expires_at": now + self.settings.session_ttl_s, "consent_terms": "",
            "consent_datasets": "", "national_id": "", "methods": "[]", "challenge": "", "state": "open",
        })  # fmt: skip
        self.audit.append("session.start", terminal=terminal, dataset_ids=service.dataset_ids)
        return KioskSession(
            session_id=session_id,
            service_id=service.id,
            agency_id=service.agency_id,
            terms_version=self.catalogue.catalogue.terms_version,
            dataset_ids=service.dataset_ids,
            expires_at=timestamp(now + self.settings.session_ttl_s),
        )

    def consent(self, terminal: str, session_id: str, terms_version: str, dataset_ids: list[str]) -> None:
        session = self._session(session_id, terminal)
        service = self.catalogue.service(session["service_id"])
        assert service is not None
        if terms_version != self.catalogue.catalogue.terms_version or sorted(dataset_ids) != sorted(
            service.dataset_ids
        ):
            raise errors.ConsentMismatch()
        self._update(session_id, consent_terms=terms_version, consent_datasets=json.dumps(sorted(dataset_ids)))
        self.audit.append("consent", terminal=terminal, dataset_ids=dataset_ids)

    def _require_consent(self, session: dict[str, Any]) -> None:
        if not session["consent_terms"]:
            raise errors.ConsentRequired()

    # -- MOICA card ------------------------------------------------------------------------------
    def moica_challenge(self, terminal: str, session_id: str) -> str:
        session = self._session(session_id, terminal)
        self._require_consent(session)
        challenge = secrets.token_bytes(32)
        encoded = base64.b64encode(challenge).decode()
        self._update(session_id, challenge=encoded)
        return encoded

    def moica_verify(self, terminal: str, session_id: str, certificate_b64: str, signature_b64: str) -> IdentityStatus:
        session = self._session(session_id, terminal)
        self._require_consent(session)
        if not session["challenge"]:
            raise errors.ChallengeRequired()
        challenge = base64.b64decode(session["challenge"])
        self._update(session_id, challenge="")  # one signature per challenge
        try:
            national_id = verify_citizen_signature(
                self.settings.seed,
                base64.b64decode(certificate_b64, validate=True),
                challenge,
                base64.b64decode(signature_b64, validate=True),
            )
        except (CertificateRejected, ValueError) as exc:
            self.audit.append("identity.moica.failed", terminal=terminal)
            raise errors.IdentityFailed() from exc
        if self._citizen(national_id) is None:
            raise errors.UnknownCitizen()
        return self._pass_method(session, "moica", national_id)

    # -- mobile certificate push -----------------------------------------------------------------
    def push_start(self, terminal: str, session_id: str, national_id: str) -> PushStarted:
        session = self._session(session_id, terminal)
        self._require_consent(session)
        national_id = national_id.strip().upper()
        if not is_valid_national_id(national_id):
            raise errors.UnknownCitizen()  # no citizen can hold an ID whose check digit is wrong
        if self._citizen(national_id) is None:
            raise errors.UnknownCitizen()
        self.prompts.check(national_id)
        self.prompts.record(national_id)
        now = time.time()
        match = f"{secrets.randbelow(100):02d}"
        decoys: set[str] = set()
        while len(decoys) < 2:
            candidate = f"{secrets.randbelow(100):02d}"
            if candidate != match:
                decoys.add(candidate)
        choices = sorted([match, *decoys])
        push_id = secrets.token_urlsafe(12)
        self.store.db.table("pushes").insert({
            "id": push_id, "session_id": session_id, "national_id": national_id, "match_number": match,
            "choices": json.dumps(choices), "created_at": now, "expires_at": now + self.settings.push_ttl_s,
            "state": "pending",
        })  # fmt: skip
        self.audit.append("identity.mobile.push", terminal=terminal)
        return PushStarted(push_id=push_id, match_number=match, expires_at=timestamp(now + self.settings.push_ttl_s))

    def _push(self, push_id: str) -> dict[str, Any] | None:
        rows = list(self.store.db.query("SELECT * FROM pushes WHERE id = ?", [push_id]))
        if not rows:
            return None
        row = rows[0]
        if row["state"] == "pending" and row["expires_at"] < time.time():
            self.store.db.table("pushes").update(push_id, {"state": "expired"})
            row["state"] = "expired"
        return row

    def push_status(self, terminal: str, session_id: str, push_id: str) -> PushState:
        session = self._session(session_id, terminal)
        push = self._push(push_id)
        if push is None or push["session_id"] != session_id:
            raise errors.NotFound(what="push")
        state = push["state"]
        if state == "approved":
            methods: list[IdentityMethod] = json.loads(session["methods"] or "[]")
            if "mobile" not in methods:
                status = self._pass_method(session, "mobile", push["national_id"])
            else:
                status = self._status(methods, push["national_id"])
            return PushState(push_id=push_id, state="approved", identity=status)
        return PushState(push_id=push_id, state=state)

    def pending_pushes(self, national_id: str) -> list[dict[str, Any]]:
        now = time.time()
        rows = self.store.db.query(
            "SELECT p.id, p.choices, p.expires_at, s.service_id FROM pushes p JOIN kiosk_sessions s "
            "ON s.id = p.session_id WHERE p.national_id = ? AND p.state = 'pending' AND p.expires_at > ? "
            "ORDER BY p.created_at DESC",
            [national_id.upper(), now],
        )
        result = []
        for row in rows:
            service = self.catalogue.service(row["service_id"])
            result.append({
                "push_id": row["id"], "choices": json.loads(row["choices"]),
                "seconds_left": int(row["expires_at"] - now),
                "service": service.name.model_dump(by_alias=True) if service else {},
            })  # fmt: skip
        return result

    def answer_push(self, national_id: str, push_id: str, action: str, choice: str) -> str:
        push = self._push(push_id)
        if push is None or push["national_id"] != national_id.upper() or push["state"] != "pending":
            return "gone"
        approved = action == "approve" and hmac.compare_digest(choice, push["match_number"])
        state = "approved" if approved else "denied"
        self.store.db.table("pushes").update(push_id, {"state": state})
        self.audit.append(f"identity.mobile.{state}")
        return state

    # -- NHI card + household number, phone OTP --------------------------------------------------
    def nhi_household(
        self, terminal: str, session_id: str, nhi_card_number: str, household_number: str
    ) -> IdentityStatus:
        session = self._session(session_id, terminal)
        self._require_consent(session)
        card, household = nhi_card_number.strip(), household_number.strip().upper()
        citizen = next(
            (c for c in generate_citizens(self.settings.seed, self.settings.citizens) if c.nhi_card_number == card),
            None,
        )
        if citizen is None or not hmac.compare_digest(citizen.household_number, household):
            self.audit.append("identity.nhi_household.failed", terminal=terminal)
            raise errors.IdentityFailed()
        return self._pass_method(session, "nhi_household", citizen.national_id)

    def otp_send(self, terminal: str, session_id: str, national_id: str) -> OtpSent:
        session = self._session(session_id, terminal)
        self._require_consent(session)
        citizen = self._citizen(national_id)
        if citizen is None:
            raise errors.UnknownCitizen()
        self.prompts.check(citizen.national_id)
        self.prompts.record(citizen.national_id)
        otp = f"{secrets.randbelow(10**6):06d}"
        self.store.db.table("otps").upsert({
            "session_id": session_id, "national_id": citizen.national_id,
            "otp_hash": hashlib.sha256(otp.encode()).hexdigest(), "expires_at": time.time() + OTP_TTL_S, "tries": 0,
        }, pk="session_id")  # fmt: skip
        self.outbox.send_sms(citizen.phone, f"【MyData】您的臨櫃驗證碼為 {otp}，5 分鐘內有效。Your code: {otp}")
        self.audit.append("identity.otp.sent", terminal=terminal)
        return OtpSent(sent_to=masked_phone(citizen.phone))

    def otp_verify(self, terminal: str, session_id: str, otp: str) -> IdentityStatus:
        session = self._session(session_id, terminal)
        rows = list(self.store.db.query("SELECT * FROM otps WHERE session_id = ?", [session_id]))
        if not rows or rows[0]["expires_at"] < time.time() or rows[0]["tries"] >= OTP_TRIES:
            raise errors.IdentityFailed()
        row = rows[0]
        if not hmac.compare_digest(row["otp_hash"], hashlib.sha256(otp.strip().encode()).hexdigest()):
            self.store.db.table("otps").update(session_id, {"tries": row["tries"] + 1})
            raise errors.OtpWrong(tries_left=OTP_TRIES - row["tries"] - 1)
        self.store.db.table("otps").delete(session_id)
        return self._pass_method(session, "otp", row["national_id"])

    # -- the data code ---------------------------------------------------------------------------
    def issue_code(self, terminal: str, session_id: str) -> IssuedCode:
        session = self._session(session_id, terminal)
        self._require_consent(session)
        methods: list[IdentityMethod] = json.loads(session["methods"] or "[]")
        if not methods:
            raise errors.IdentityRequired()
        if self._status(methods, session["national_id"]).needs_another_method:
            raise errors.IdentityRequired(reason="first_use")
        service = self.catalogue.service(session["service_id"])
        agency = self.catalogue.catalogue.agency(session["agency_id"])
        assert service is not None and agency is not None
        code = new_code()
        now = time.time()
        expires = now + self.settings.code_ttl_s
        self.store.db.table("codes").insert({
            "code_hash": code_hash(code), "session_id": session_id, "agency_id": agency.id,
            "service_id": service.id, "national_id": session["national_id"],
            "dataset_ids": json.dumps(service.dataset_ids), "methods": json.dumps(methods), "issued_at": now,
            "expires_at": expires, "redeemed_at": 0.0, "redeemed_by": "", "transaction_id": "",
        })  # fmt: skip
        self.store.db.table("citizen_usage").upsert(
            {"national_id": session["national_id"], "first_used_at": timestamp(now).isoformat()}, pk="national_id"
        )
        self._update(session_id, state="closed")
        self.audit.append("code.issued", terminal=terminal, code=code, dataset_ids=service.dataset_ids)
        names = [d.name for d in (self.catalogue.catalogue.dataset(i) for i in service.dataset_ids) if d]
        return IssuedCode(
            code=code,
            qr_payload=qr_payload(code),
            expires_at=timestamp(expires),
            agency=agency.name,
            service=service.name,
            dataset_names=names,
            support_line=self.catalogue.catalogue.support_line,
        )

    def cancel(self, terminal: str, session_id: str) -> None:
        session = self._session(session_id, terminal)
        self._update(session["id"], state="closed")
        self.audit.append("session.cancelled", terminal=terminal)
