"""The kiosk side of the broker: sessions, consent, the identity rules every method obeys, and codes.

The rules (docs/broker.md):
- **Strength per dataset** (依驗證強度): each dataset lists the methods that may release it; a service
  takes the methods good for all its datasets (``CounterService.allowed_methods``). The first method of a
  session must be one of them — a method that cannot release the service is refused before anything is
  checked (``IdentityNotAllowed`` naming the dataset and the methods that would do).
- **First use** needs a second check on a different credential (``counter_core.identity``): once an
  allowed method passed, the second may be any other.
- **Attempt limits** per terminal and per citizen (``attempts``) before and after every check.
The methods themselves live in ``identity_cards``, ``identity_details`` and ``identity_phone``.
"""

from __future__ import annotations

import hmac
import json
import secrets
import sqlite3
import threading
from typing import Any

from broker_client import errors
from broker_client.models import Consent, CounterService, IdentityMethod, IdentityStatus, IssuedCode, KioskSession
from broker_sandbox.attempts import Attempts
from broker_sandbox.audit import code_hash
from broker_sandbox.citizens import Citizen, find_citizen
from broker_sandbox.clerk_flow import VIEW_WINDOW_S
from broker_sandbox.durable import sandbox_secret
from broker_sandbox.flow_base import SandboxFlow, timestamp
from counter_core.datacode import CODE_LENGTH, damm_check_digit, qr_payload
from counter_core.i18n import languages, translate
from counter_core.identity import credential
from counter_core.national_id import masked


def method_names(methods: list[IdentityMethod]) -> dict[str, str]:
    """The methods as the citizen knows them, listed in each interface language."""
    return {
        lang: translate("broker.list_separator", lang).join(translate(f"kiosk.method.{m}", lang) for m in methods)
        for lang in languages()
    }


def _sorted(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    return {dataset: sorted(keys) for dataset, keys in fields.items()}


class KioskFlow(SandboxFlow):
    def setup(self) -> None:
        store, clock = self.store, self.clock
        self.attempts = Attempts(clock, store)
        self._issuing = threading.Lock()
        self._code_key = sandbox_secret(store, "code_key")

    # -- parts the identity methods share ----------------------------------------------------------
    def citizen(self, national_id: str) -> Citizen | None:
        return find_citizen(self.settings.seed, self.settings.citizens, national_id)

    def session(self, session_id: str, terminal: str) -> dict[str, Any]:
        rows = list(self.store.db.query("SELECT * FROM kiosk_sessions WHERE id = ?", [session_id]))
        if not rows or rows[0]["terminal_id"] != terminal or rows[0]["state"] == "closed":
            raise errors.SessionExpired()
        row = rows[0]
        if row["expires_at"] < self.clock.now():
            raise errors.SessionExpired()
        return row

    def update(self, session_id: str, **values: Any) -> None:
        self.store.db.table("kiosk_sessions").update(session_id, values)

    @staticmethod
    def passed(session: dict[str, Any]) -> list[IdentityMethod]:
        methods: list[IdentityMethod] = json.loads(session["methods"] or "[]")
        return methods

    def _service(self, session: dict[str, Any]) -> CounterService:
        service = self.catalogue.service(session["service_id"])
        assert service is not None
        return service

    def not_allowed(self, service: CounterService, method: IdentityMethod) -> errors.IdentityNotAllowed:
        """The refusal for ``method``: the first dataset of the service it may not release, and the
        methods that would do for the whole service."""
        datasets = [self.catalogue.catalogue.dataset(i) for i in service.dataset_ids]
        dataset = next(d for d in datasets if d is not None and method not in d.allowed_methods)
        return errors.IdentityNotAllowed(
            dataset=dict(dataset.name.root),
            methods=method_names(service.allowed_methods),
            dataset_id=dataset.id,
            allowed_methods=list(service.allowed_methods),
        )

    def check_method(self, session: dict[str, Any], method: IdentityMethod) -> None:
        """May ``method`` be tried in this session now? Not twice, not on the credential of a method that
        passed, and — unless it is the second check of a first use — only a method the service allows."""
        passed = self.passed(session)
        if method in passed:
            raise errors.SameMethodTwice()
        if credential(method) in {credential(m) for m in passed}:
            raise errors.SameCredential()
        service = self._service(session)
        if method in service.allowed_methods or any(m in service.allowed_methods for m in passed):
            return
        raise self.not_allowed(service, method)

    def begin(self, terminal: str, session_id: str, method: IdentityMethod, citizen: str = "") -> dict[str, Any]:
        """What every identity step checks first: the session is open and consented, the method may be
        tried, and neither the terminal nor (if named) the citizen is over the attempt limits."""
        session = self.session(session_id, terminal)
        self.require_consent(session)
        self.check_method(session, method)
        self.attempts.check(terminal, method, citizen)
        return session

    def has_certificate_check(self, national_id: str) -> bool:
        rows = self.store.db.query("SELECT 1 FROM certificate_checks WHERE national_id = ?", [national_id])
        return bool(list(rows))

    def _first_use(self, national_id: str) -> bool:
        return not list(self.store.db.query("SELECT 1 FROM citizen_usage WHERE national_id = ?", [national_id]))

    def pass_method(self, session: dict[str, Any], method: IdentityMethod, national_id: str) -> IdentityStatus:
        session = self.session(session["id"], session["terminal_id"])  # fresh: a parallel step may have passed
        if session["national_id"] and session["national_id"] != national_id:
            raise errors.IdentityMismatch()
        self.check_method(session, method)
        methods = [*self.passed(session), method]
        self.update(session["id"], national_id=national_id, methods=json.dumps(methods))
        if credential(method) == "citizen_certificate":
            self.store.db.table("certificate_checks").upsert(
                {"national_id": national_id, "first_at": self.clock.now()}, pk="national_id"
            )
        self.attempts.succeeded(method, national_id)
        self.audit.append(f"identity.{method}", terminal=session["terminal_id"])
        return self.status(methods, national_id)

    def status(self, methods: list[IdentityMethod], national_id: str) -> IdentityStatus:
        first = self._first_use(national_id)
        needed = 2 if first else 1
        enough = len({credential(m) for m in methods}) >= needed
        return IdentityStatus(
            methods_passed=methods,
            needs_another_method=not enough,
            reason_key="broker.identity.first_use" if not enough else "",
            citizen_masked_id=masked(national_id),
        )

    # -- session and consent ---------------------------------------------------------------------
    def start(self, terminal: str, service_id: str) -> KioskSession:
        service = self.catalogue.service(service_id)
        if service is None:
            raise errors.NotFound(what="service")
        now = self.clock.now()
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
            code_ttl_s=self.settings.code_ttl_s,
            view_window_s=VIEW_WINDOW_S,
        )

    def consent(self, terminal: str, session_id: str, body: Consent) -> None:
        """The consent holds only for the terms version in force and exactly the service's datasets (and, when
        the kiosk names them, exactly the fields it showed); it is kept with how the terms were shown."""
        session = self.session(session_id, terminal)
        service = self._service(session)
        catalogue = self.catalogue.catalogue
        fields = {
            d: [f.key for f in catalogue.released(service, dataset)]
            for d in service.dataset_ids if (dataset := catalogue.dataset(d)) is not None
        }  # fmt: skip
        shown = body.released_fields
        if (
            body.terms_version != catalogue.terms_version
            or sorted(body.dataset_ids) != sorted(service.dataset_ids)
            or (shown is not None and _sorted(shown) != _sorted(fields))
        ):
            raise errors.ConsentMismatch()
        self.update(session_id, consent_terms=body.terms_version, consent_datasets=json.dumps(sorted(body.dataset_ids)))
        self.store.db.table("consents").upsert({
            "session_id": session_id, "terms_version": body.terms_version, "terms_shown": body.terms_shown or "",
            "released_fields": json.dumps(fields), "time": self.clock.now(),
        }, pk="session_id")  # fmt: skip
        self.audit.append("consent", terminal=terminal, dataset_ids=body.dataset_ids)

    @staticmethod
    def require_consent(session: dict[str, Any]) -> None:
        if not session["consent_terms"]:
            raise errors.ConsentRequired()

    # -- the data code ---------------------------------------------------------------------------
    def issue_code(self, terminal: str, session_id: str) -> IssuedCode:
        """The session's one code. Asked again (the kiosk lost the answer), the same code is answered, never a
        second one: the code is derived from the session with the broker's secret key, only its hash is kept,
        and one session can hold one code (a unique index, so even two processes cannot issue two)."""
        with self._issuing:
            again = self._issued_before(terminal, session_id)
            if again is not None:
                return again
            try:
                return self._issue(terminal, session_id)
            except sqlite3.IntegrityError:  # another process issued it in between
                again = self._issued_before(terminal, session_id)
                if again is None:
                    raise
                return again

    def _issued_before(self, terminal: str, session_id: str) -> IssuedCode | None:
        rows = list(self.store.db.query(
            "SELECT c.*, s.terminal_id FROM codes c JOIN kiosk_sessions s ON s.id = c.session_id "
            "WHERE c.session_id = ?", [session_id],
        ))  # fmt: skip
        if not rows or rows[0]["terminal_id"] != terminal:
            return None
        row = rows[0]
        code = self._code_for(session_id)
        if code_hash(code) != row["code_hash"] or row["expires_at"] < self.clock.now():
            raise errors.SessionExpired()
        self.audit.append("code.issued.again", terminal=terminal)
        return self._issued_code(code, row["expires_at"], self.catalogue.service(row["service_id"]))

    def _code_for(self, session_id: str) -> str:
        digest = hmac.digest(self._code_key, session_id.encode(), "sha256")
        body = str(int.from_bytes(digest, "big") % 10 ** (CODE_LENGTH - 1)).zfill(CODE_LENGTH - 1)
        return body + damm_check_digit(body)

    def _issue(self, terminal: str, session_id: str) -> IssuedCode:
        session = self.session(session_id, terminal)
        self.require_consent(session)
        methods = self.passed(session)
        if not methods:
            raise errors.IdentityRequired()
        service = self._service(session)
        if not any(m in service.allowed_methods for m in methods):
            raise self.not_allowed(service, methods[0])
        if self.status(methods, session["national_id"]).needs_another_method:
            raise errors.IdentityRequired(reason="first_use")
        code = self._code_for(session_id)
        now = self.clock.now()
        expires = now + self.settings.code_ttl_s
        self.store.db.table("codes").insert({
            "code_hash": code_hash(code), "session_id": session_id, "agency_id": service.agency_id,
            "service_id": service.id, "national_id": session["national_id"],
            "dataset_ids": json.dumps(service.dataset_ids), "methods": json.dumps(methods), "issued_at": now,
            "expires_at": expires, "redeemed_at": 0.0, "redeemed_by": "", "transaction_id": "",
        })  # fmt: skip
        self.store.db.table("citizen_usage").upsert(
            {"national_id": session["national_id"], "first_used_at": timestamp(now).isoformat()}, pk="national_id"
        )
        self.update(session_id, state="closed")
        self.audit.append("code.issued", terminal=terminal, code=code, dataset_ids=service.dataset_ids)
        return self._issued_code(code, expires, service)

    def _issued_code(self, code: str, expires: float, service: CounterService | None) -> IssuedCode:
        catalogue = self.catalogue.catalogue
        assert service is not None
        agency = catalogue.agency(service.agency_id)
        assert agency is not None
        return IssuedCode(
            code=code,
            qr_payload=qr_payload(code),
            expires_at=timestamp(expires),
            agency=agency.name,
            service=service.name,
            dataset_names=[d.name for d in (catalogue.dataset(i) for i in service.dataset_ids) if d],
            support_line=catalogue.support_line,
        )

    def cancel(self, terminal: str, session_id: str) -> None:
        session = self.session(session_id, terminal)
        self.update(session["id"], state="closed")
        self.audit.append("session.cancelled", terminal=terminal)
