"""The broker as this terminal will meet it: reached (or why not: DNS, refused, timeout, TLS), its certificate
(chain, name, expiry), whether it takes this terminal for who it says it is (one signed ``GET /terminal``, an
operation of the protocol), and the clock skew at the broker's own tolerance."""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from pydantic import ValidationError

from broker_client import BrokerClient, errors
from broker_client.models import ErrorBody, TerminalInfo
from broker_client.signing import MAX_AGE_S
from broker_client.tls import broker_ssl_context, connection_failure
from counter_core.settings import BrokerSettings
from mydata_counter.doctor.check import Check, Status

TIMEOUT_S = 3.0
CLOCK_WARN_S = MAX_AGE_S / 2  # warned well within what the broker accepts …
CLOCK_FAIL_S = float(MAX_AGE_S)  # … and failed where it starts refusing signatures
CERTIFICATE_WARN_DAYS = 30

_TLS_KEYS: dict[type[errors.BrokerUnavailable], str] = {
    errors.CertificateUntrusted: "doctor.tls.untrusted",
    errors.CertificateWrongName: "doctor.tls.wrong_name",
    errors.CertificateExpired: "doctor.tls.expired",
    errors.CertificateNotYetValid: "doctor.tls.not_yet_valid",
    errors.BrokerTlsFailed: "doctor.tls.failed",
}
_REFUSAL_KEYS = {
    "unknown_terminal": "doctor.terminal.unknown",
    "bad_signature": "doctor.terminal.wrong_key",
    "stale": "doctor.terminal.stale",
    "unsigned": "doctor.terminal.no_key",
}


def _where(settings: BrokerSettings) -> dict[str, object]:
    parts = urlsplit(settings.url)
    return {
        "url": settings.url,
        "host": parts.hostname or "",
        "port": parts.port or (443 if parts.scheme == "https" else 80),
        "seconds": TIMEOUT_S,
        "trust": str(settings.ca_bundle) if settings.ca_bundle else "system",
    }


def _not_reached(error: errors.BrokerUnavailable, settings: BrokerSettings) -> Check:
    params = {**_where(settings), "detail": str(error.params.get("detail", ""))}
    key = _TLS_KEYS.get(type(error))
    if key is not None:
        hint = f"{key}.hint" if key != "doctor.tls.untrusted" or settings.ca_bundle is None else f"{key}.bundle.hint"
        return Check("broker", "FAIL", key, params, hint)
    key = f"doctor.broker.{error.params.get('cause', 'other')}"
    return Check("broker", "FAIL", key, params, f"{key}.hint")


def _check_certificate(settings: BrokerSettings) -> Check:
    """A TLS handshake with the broker's own trust settings, to read the certificate's expiry (requests hides
    the peer certificate). Raises the client's typed connection errors."""
    params = _where(settings)
    context = broker_ssl_context(settings.ca_bundle)
    host, port = str(params["host"]), int(str(params["port"]))
    try:
        with (
            socket.create_connection((host, port), timeout=TIMEOUT_S) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            certificate = tls.getpeercert() or {}
            version = tls.version() or "TLS"
    except OSError as exc:  # ssl.SSLError is an OSError
        raise connection_failure(exc) from None
    not_after = ssl.cert_time_to_seconds(str(certificate.get("notAfter", "")))
    days = int((not_after - time.time()) // 86400)
    issuer = dict(pair[0] for pair in certificate.get("issuer", ()) if pair)  # type: ignore[misc]
    params.update(
        version=version,
        until=datetime.fromtimestamp(not_after, UTC).date().isoformat(),
        days=days,
        issuer=str(issuer.get("commonName", issuer.get("organizationName", "?"))),
    )
    if days < CERTIFICATE_WARN_DAYS:
        return Check("tls", "WARN", "doctor.tls.expiring", params, "doctor.tls.expiring.hint")
    return Check("tls", "OK", "doctor.tls.ok", params)


def _clock(skew_s: float) -> Check:
    size = abs(skew_s)
    status: Status = "OK" if size <= CLOCK_WARN_S else "WARN" if size <= CLOCK_FAIL_S else "FAIL"
    hint = {"OK": "", "WARN": "doctor.clock.warn.hint", "FAIL": "doctor.clock.hint"}[status]
    params = {"seconds": round(skew_s, 1), "warn": int(CLOCK_WARN_S), "limit": int(CLOCK_FAIL_S)}
    return Check("clock", status, "doctor.clock.skew", params, hint)


def _server_time(response: requests.Response, info: TerminalInfo | None) -> datetime | None:
    if info is not None:
        return info.server_time
    date = response.headers.get("Date")
    try:
        return parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        return None


def _terminal(response: requests.Response, settings: BrokerSettings) -> tuple[Check, TerminalInfo | None]:
    params: dict[str, object] = {"terminal_id": settings.terminal_id, "status": response.status_code}
    if response.status_code == 200:
        try:
            info = TerminalInfo.model_validate(response.json())
        except (ValueError, ValidationError):
            return Check("terminal", "FAIL", "doctor.terminal.bad_answer", params, "doctor.broker.path.hint"), None
        params["terminal_id"] = info.terminal_id
        return Check("terminal", "OK", "doctor.terminal.ok", params), info
    reason = ""
    with contextlib.suppress(ValueError, ValidationError):
        reason = ErrorBody.model_validate(response.json()).reason or ""
    params["reason"] = reason or f"HTTP {response.status_code}"
    key = _REFUSAL_KEYS.get(reason, "doctor.terminal.refused")
    return Check("terminal", "FAIL", key, params, f"{key}.hint"), None


def check_broker(settings: BrokerSettings, key_usable: bool) -> list[Check]:
    checks: list[Check] = []
    if urlsplit(settings.url).scheme == "https" and not requests.utils.get_environ_proxies(settings.url):
        try:
            checks.append(_check_certificate(settings))
        except errors.BrokerUnavailable as error:
            return [_not_reached(error, settings)]
        except (OSError, ValueError):  # the CA bundle itself cannot be read
            return [Check("broker", "FAIL", "doctor.tls.ca_bundle", _where(settings), "doctor.tls.ca_bundle.hint")]
    client = BrokerClient(settings.model_copy(update={"retries": 0, "timeout_s": TIMEOUT_S}))
    try:
        before = time.time()
        response = client.reach(signed=key_usable)
        after = time.time()
    except errors.BrokerUnavailable as error:
        return [*checks, _not_reached(error, settings)]
    finally:
        client.close()
    params = {**_where(settings), "status": response.status_code}
    if response.status_code >= 500:
        return [*checks, Check("broker", "FAIL", "doctor.broker.status", params, "doctor.broker.status.hint")]
    if response.status_code == 404:
        return [*checks, Check("broker", "FAIL", "doctor.broker.path", params, "doctor.broker.path.hint")]
    checks.append(Check("broker", "OK", "doctor.broker.ok", params))
    terminal, info = _terminal(response, settings)
    checks.append(terminal)
    server = _server_time(response, info)
    if server is not None:
        checks.append(_clock((before + after) / 2 - server.timestamp()))
    return checks
