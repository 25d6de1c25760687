"""What the broker client tells /metrics: how long each request took, which failed, the broker's clock (from
the Date of its answers) and when its TLS certificate expires. Kept apart from ``client.py`` so the transport
stays readable; ``BrokerClient._request`` calls ``answered``/``failed`` and passes ``HOOKS`` to requests."""

from __future__ import annotations

import ssl
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from counter_core.metrics import BROKER_CLOCK_SKEW, BROKER_ERRORS, BROKER_REQUEST_SECONDS, TLS_CERTIFICATE_EXPIRY


def answered(response: requests.Response, started: float) -> None:
    BROKER_REQUEST_SECONDS.observe(time.monotonic() - started)
    if response.status_code >= 500:
        BROKER_ERRORS.labels(kind="server_error").inc()
    date = response.headers.get("Date")
    if date:
        try:
            broker_time = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            return
        if broker_time.tzinfo is not None:
            BROKER_CLOCK_SKEW.set((datetime.now(UTC) - broker_time).total_seconds())


def failed(started: float) -> None:
    BROKER_REQUEST_SECONDS.observe(time.monotonic() - started)
    BROKER_ERRORS.labels(kind="unreachable").inc()


def _peer_certificate(response: requests.Response, *_args: Any, **_kwargs: Any) -> requests.Response:
    """A response hook: requests runs it before reading the body, while the TLS connection is still the
    response's, so the certificate the broker presented (and the client verified) can be read."""
    connection = getattr(response.raw, "connection", None)
    getpeercert = getattr(getattr(connection, "sock", None), "getpeercert", None)
    if callable(getpeercert):
        certificate = getpeercert()
        if isinstance(certificate, dict) and isinstance(certificate.get("notAfter"), str):
            TLS_CERTIFICATE_EXPIRY.labels(certificate="broker").set(ssl.cert_time_to_seconds(certificate["notAfter"]))
    return response


HOOKS = {"response": [_peer_certificate]}
