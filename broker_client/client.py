"""``BrokerClient``: the only code that talks to the broker.

Transport is injected (a ``requests.Session``; tests may mount their own adapter, as httpx's
MockTransport allows); signing, timeouts and the retry policy live here and nowhere else. The policy is
one urllib3 ``Retry`` on the session's adapter: a request that never reached the broker (connection
refused) may be sent again, and only GETs are retried after they were sent (a 502/503/504 or a read
error). A POST whose answer was lost is never sent again by the transport: it raises
``BrokerOutcomeUnknown``, and only requests the broker answers the same way twice are asked again by their
callers (a redemption named by its request id, a session's one code).
"""

from __future__ import annotations

import base64
import logging
import time
from datetime import date
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NameResolutionError, NewConnectionError
from urllib3.util.retry import Retry

from broker_client import errors, observe
from broker_client.models import (
    Catalogue,
    ClerkSession,
    ErrorBody,
    IdentityStatus,
    IssuedCode,
    KioskSession,
    OtpSent,
    PushStarted,
    PushState,
    QrStarted,
    QrState,
    Redemption,
    TerminalInfo,
    TermsShown,
)
from broker_client.models_citizen import ContactCodeSent, ContactKind, ContactStatus, UsageRecords
from broker_client.signing import RequestSigner, load_private_key
from broker_client.tls import TrustAdapter, broker_ssl_context, connection_failure, empty_trust
from counter_core.settings import BrokerSettings

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
RETRY_BACKOFF_S = 0.2
RETRY_STATUSES = (502, 503, 504)


def retry_policy(retries: int) -> Retry:
    """The client's one retry policy (see the module docstring)."""
    return Retry(
        total=retries,
        connect=retries,  # not sent at all: safe for every method
        read=retries,  # sent, answer lost: GET only (allowed_methods)
        status=retries,
        other=0,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=RETRY_BACKOFF_S,
        respect_retry_after_header=True,
        raise_on_status=False,  # the last 503 is answered as the broker's own error
    )


def _new_session(settings: BrokerSettings) -> requests.Session:
    """A session with the retry policy and the broker's TLS trust (``broker_client.tls``) on its adapter,
    reading the proxy environment once, here, instead of on every request (requests walks the environment
    per call when ``trust_env`` is on). ``REQUESTS_CA_BUNDLE`` is not read: ``[broker] ca_bundle`` says it."""
    session = requests.Session()
    try:
        context = broker_ssl_context(settings.ca_bundle)
    except (OSError, ValueError):  # ssl.SSLError is an OSError
        # Trust nothing rather than fall back to another store: every HTTPS request fails as "certificate not
        # trusted", and hw doctor names the unreadable bundle.
        log.error(
            "broker: ca_bundle %s cannot be read as PEM certificates; no broker certificate is trusted",
            settings.ca_bundle,
        )
        context = empty_trust()
    adapter = TrustAdapter(context, max_retries=retry_policy(settings.retries))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.proxies.update(requests.utils.get_environ_proxies(settings.url))
    session.trust_env = False
    return session


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the broker (no connection was made), so its outcome is
    known: nothing happened. A read timeout or a connection cut after sending leaves the outcome unknown."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError | ConnectTimeoutError | NameResolutionError)


def _is_error_body(response: requests.Response) -> bool:
    """Is this the broker's own error answer (``ErrorBody``), not a proxy's page?"""
    try:
        ErrorBody.model_validate(response.json())
    except (ValueError, ValidationError):
        return False
    return True


class BrokerClient:
    def __init__(
        self,
        settings: BrokerSettings,
        *,
        terminal_id: str | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self.terminal_id = terminal_id or settings.terminal_id
        self._session = session or _new_session(settings)
        self._signer: RequestSigner | None = None

    def _auth(self) -> RequestSigner:
        if self._signer is None:
            key_file = self.settings.key_file
            if key_file is None:
                raise errors.AuthFailed(reason="no key_file configured")
            try:
                key = load_private_key(key_file)
            except (OSError, ValueError):
                raise errors.AuthFailed(reason=f"cannot read terminal key {key_file}") from None
            self._signer = RequestSigner(self.terminal_id, key)
        return self._signer

    # -- transport -------------------------------------------------------------------------------
    def _send(self, method: str, path: str, payload: Any, headers: dict[str, str], sign: bool) -> requests.Response:
        url = f"{self.settings.url}/api/v1{path}"
        auth, started = (self._auth() if sign else None), time.monotonic()
        try:
            response = self._session.request(
                method, url, json=payload, headers=headers, auth=auth, timeout=self.settings.timeout_s,
                hooks=observe.HOOKS,
            )  # fmt: skip
        except (requests.ConnectionError, requests.Timeout) as exc:
            observe.failed(started)
            failure = connection_failure(exc)
            log.warning("broker %s %s failed: %s (%s)", method, path.split("/")[1], failure.key, type(exc).__name__)
            if type(failure) is errors.BrokerUnavailable and method != "GET" and not _never_sent(exc):
                # sent, answer lost (a TLS failure is a handshake's: nothing was sent)
                raise errors.BrokerOutcomeUnknown(cause=failure.params.get("cause", "other")) from None
            raise failure from None
        observe.answered(response, started)
        return response

    def _request(
        self, method: str, path: str, body: BaseModel | dict[str, Any] | None = None, token: str | None = None
    ) -> requests.Response:
        payload = body.model_dump(mode="json", by_alias=True) if isinstance(body, BaseModel) else body
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self._send(method, path, payload, headers, sign=True)
        if response.status_code in (502, 504) and method != "GET" and not _is_error_body(response):
            raise errors.BrokerOutcomeUnknown()  # a gateway gave up waiting: the broker may have done it
        if response.status_code >= 400:
            raise self._error(response)
        return response

    @staticmethod
    def _error(response: requests.Response) -> errors.BrokerError:
        try:
            body = ErrorBody.model_validate(response.json())
        except (ValueError, ValidationError):
            return errors.BrokerUnavailable() if response.status_code >= 500 else errors.BrokerError()
        cls = errors.ERRORS_BY_KEY.get(body.error, errors.BrokerError)
        params: dict[str, object] = {}
        if body.retry_after_s is not None:
            params["retry_after_s"] = body.retry_after_s
        if body.tries_left is not None:
            params["tries_left"] = body.tries_left
        if body.error == "broker.auth_failed":
            params["reason"] = body.message.get("en")
            params["cause"] = body.reason or ""
        if body.dataset_id is not None:
            params["dataset_id"] = body.dataset_id
        if body.allowed_methods is not None:
            params["allowed_methods"] = list(body.allowed_methods)
        error = cls()
        error.params.update(params)
        error.broker_text = dict(body.message.root)
        return error

    def _model(self, model: type[M], response: requests.Response) -> M:
        try:
            return model.model_validate(response.json())
        except (ValueError, ValidationError):
            raise errors.BrokerError() from None

    # -- terminal --------------------------------------------------------------------------------
    def terminal_info(self) -> TerminalInfo:
        """Who the broker takes this terminal for (a signed request: an unknown terminal id, another key or a
        far-off clock is refused with ``AuthFailed`` and its ``cause``)."""
        return self._model(TerminalInfo, self._request("GET", "/terminal"))

    def reach(self, signed: bool = True) -> requests.Response:
        """The same operation answered as it is, a refusal included, for ``hw doctor`` to read the status, the
        error's ``reason`` and the Date; ``signed=False`` when this terminal has no usable key (the broker then
        refuses it, which still proves it answers over the same TLS and proxies)."""
        return self._send("GET", "/terminal", None, {}, sign=signed)

    # -- catalogue -------------------------------------------------------------------------------
    def catalogue(self) -> Catalogue:
        return self._model(Catalogue, self._request("GET", "/catalogue"))

    # -- kiosk -----------------------------------------------------------------------------------
    def start_session(self, service_id: str) -> KioskSession:
        return self._model(KioskSession, self._request("POST", "/kiosk/sessions", {"service_id": service_id}))

    def cancel_session(self, session_id: str) -> None:
        self._request("DELETE", f"/kiosk/sessions/{session_id}")

    def record_consent(
        self,
        session_id: str,
        terms_version: str,
        dataset_ids: list[str],
        *,
        released_fields: dict[str, list[str]] | None = None,
        terms_shown: TermsShown | None = None,
    ) -> None:
        """Consent to the terms of ``terms_version`` and the service's datasets; the kiosk also names the fields it
        showed and how the terms were shown to their end (kept with the consent)."""
        body: dict[str, Any] = {"terms_version": terms_version, "dataset_ids": dataset_ids}
        if released_fields is not None:
            body["released_fields"] = released_fields
        if terms_shown is not None:
            body["terms_shown"] = terms_shown
        self._request("POST", f"/kiosk/sessions/{session_id}/consent", body)

    def moica_challenge(self, session_id: str) -> bytes:
        body = self._request("POST", f"/kiosk/sessions/{session_id}/moica/challenge").json()
        return base64.b64decode(body["challenge"])

    def moica_verify(self, session_id: str, certificate_der: bytes, signature: bytes) -> IdentityStatus:
        body = {
            "certificate": base64.b64encode(certificate_der).decode(),
            "signature": base64.b64encode(signature).decode(),
        }
        return self._model(IdentityStatus, self._request("POST", f"/kiosk/sessions/{session_id}/moica/verify", body))

    def mobile_push(self, session_id: str, national_id: str) -> PushStarted:
        return self._model(
            PushStarted, self._request("POST", f"/kiosk/sessions/{session_id}/push", {"national_id": national_id})
        )

    def push_status(self, session_id: str, push_id: str) -> PushState:
        return self._model(PushState, self._request("GET", f"/kiosk/sessions/{session_id}/push/{push_id}"))

    def nhi_household(self, session_id: str, nhi_card_number: str, household_number: str) -> IdentityStatus:
        body = {"nhi_card_number": nhi_card_number, "household_number": household_number}
        return self._model(IdentityStatus, self._request("POST", f"/kiosk/sessions/{session_id}/nhi", body))

    def nhi_card(self, session_id: str, nhi_card_number: str, password: str) -> IdentityStatus:
        """健保卡 (its number, read from the card) + the citizen's NHI network-service password."""
        body = {"nhi_card_number": nhi_card_number, "password": password}
        return self._model(IdentityStatus, self._request("POST", f"/kiosk/sessions/{session_id}/nhi_card", body))

    def multi_factor(
        self,
        session_id: str,
        national_id: str,
        birth_date: date,
        nhi_card_number: str,
        *,
        household_number: str | None = None,
        id_card_issue_date: date | None = None,
    ) -> IdentityStatus:
        """多因子 without a card: give ``household_number`` or ``id_card_issue_date`` (換補證日期)."""
        body: dict[str, Any] = {
            "national_id": national_id, "birth_date": birth_date.isoformat(), "nhi_card_number": nhi_card_number,
        }  # fmt: skip
        if household_number is not None:
            body["household_number"] = household_number
        if id_card_issue_date is not None:
            body["id_card_issue_date"] = id_card_issue_date.isoformat()
        return self._model(IdentityStatus, self._request("POST", f"/kiosk/sessions/{session_id}/multi_factor", body))

    def bank_card_challenge(self, session_id: str) -> bytes:
        body = self._request("POST", f"/kiosk/sessions/{session_id}/bank_card/challenge").json()
        return base64.b64decode(body["challenge"])

    def bank_card_verify(
        self, session_id: str, national_id: str, certificate_der: bytes, signature: bytes
    ) -> IdentityStatus:
        """晶片金融卡: the card's certificate and signature over the challenge, for the verification centre."""
        body = {
            "national_id": national_id,
            "certificate": base64.b64encode(certificate_der).decode(),
            "signature": base64.b64encode(signature).decode(),
        }
        return self._model(
            IdentityStatus, self._request("POST", f"/kiosk/sessions/{session_id}/bank_card/verify", body)
        )

    def otp_send(self, session_id: str, national_id: str, phone: str | None = None) -> OtpSent:
        """Ask for an SMS code. With ``phone`` (the number the citizen typed) the broker sends only to the
        number on file and answers the same either way; without it (deprecated) it answers with the number
        on file, masked."""
        body = {"national_id": national_id} if phone is None else {"national_id": national_id, "phone": phone}
        return self._model(OtpSent, self._request("POST", f"/kiosk/sessions/{session_id}/otp", body))

    def otp_verify(self, session_id: str, otp: str) -> IdentityStatus:
        return self._model(
            IdentityStatus, self._request("POST", f"/kiosk/sessions/{session_id}/otp/verify", {"otp": otp})
        )

    # -- the citizen's own: contact for notices, records of use, QR sign-in --------------------------
    def contact_status(self, session_id: str) -> ContactStatus:
        return self._model(ContactStatus, self._request("GET", f"/kiosk/sessions/{session_id}/contact"))

    def contact_send_code(self, session_id: str, kind: ContactKind, address: str) -> ContactCodeSent:
        """A code to the mobile number or e-mail address the citizen gave, to prove it is theirs."""
        body = {"kind": kind, "address": address}
        return self._model(ContactCodeSent, self._request("POST", f"/kiosk/sessions/{session_id}/contact/code", body))

    def contact_verify(self, session_id: str, kind: ContactKind, code: str) -> ContactStatus:
        body = {"kind": kind, "code": code}
        return self._model(ContactStatus, self._request("POST", f"/kiosk/sessions/{session_id}/contact/verify", body))

    def contact_primary(self, session_id: str, kind: ContactKind) -> ContactStatus:
        body = {"kind": kind}
        return self._model(ContactStatus, self._request("POST", f"/kiosk/sessions/{session_id}/contact/primary", body))

    def usage_records(self, session_id: str) -> UsageRecords:
        return self._model(UsageRecords, self._request("GET", f"/kiosk/sessions/{session_id}/records"))

    def qr_start(self, session_id: str) -> QrStarted:
        return self._model(QrStarted, self._request("POST", f"/kiosk/sessions/{session_id}/qr"))

    def qr_state(self, session_id: str, qr_id: str) -> QrState:
        return self._model(QrState, self._request("GET", f"/kiosk/sessions/{session_id}/qr/{qr_id}"))

    def issue_code(self, session_id: str) -> IssuedCode:
        """The session's data code. The broker issues one code per session and answers a repeat with the same
        code, so a call whose answer was lost may be made again."""
        return self._model(IssuedCode, self._request("POST", f"/kiosk/sessions/{session_id}/code"))

    # -- clerk -----------------------------------------------------------------------------------
    def clerk_login(self, username: str, password: str) -> ClerkSession:
        return self._model(
            ClerkSession, self._request("POST", "/clerk/login", {"username": username, "password": password})
        )

    def clerk_logout(self, token: str) -> None:
        self._request("POST", "/clerk/logout", token=token)

    def redeem(self, token: str, code: str, request_id: str | None = None) -> Redemption:
        """The citizen's data for ``code``. With ``request_id`` (8-64 of A-Z a-z 0-9 _ -) the broker answers the
        same redemption again when the same id is sent again, so an answer lost on the way
        (``BrokerOutcomeUnknown``) can be asked for once more without redeeming twice."""
        body = {"code": code} if request_id is None else {"code": code, "request_id": request_id}
        return self._model(Redemption, self._request("POST", "/clerk/redeem", body, token=token))

    def redemption(self, token: str, request_id: str) -> Redemption:
        """What the redemption sent with ``request_id`` got; ``NotFound`` if the broker never redeemed it."""
        return self._model(Redemption, self._request("GET", f"/clerk/redemptions/{request_id}", token=token))

    def purge_ack(self, token: str, transaction_id: str) -> None:
        self._request("POST", "/clerk/purge", {"transaction_id": transaction_id}, token=token)

    def close(self) -> None:
        self._session.close()
