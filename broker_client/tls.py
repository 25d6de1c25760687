"""TLS to the broker: which certificates the terminal trusts, and what a failed connection was.

The broker's certificate must chain to ``[broker] ca_bundle`` when it is set (a private CA; nothing else is
trusted then), otherwise to the system trust store through ``truststore`` (on Debian ``/etc/ssl/certs``, kept
by ``update-ca-certificates``) — never to the certifi bundle requests would otherwise bring along, which an
agency's own CA is not in. TLS 1.2 or newer. A failed connection becomes a typed error naming its cause, so a
certificate problem never reads as "broker unreachable" and a refused port never as a broken cable.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any

import truststore
from requests.adapters import HTTPAdapter

from broker_client import errors
from counter_core.netcause import error_chain, network_cause

if TYPE_CHECKING:
    from requests.adapters import _HostParams, _PoolKwargs

MIN_TLS = ssl.TLSVersion.TLSv1_2

# OpenSSL's X509_V_ERR_* codes (ssl.SSLCertVerificationError.verify_code) that have a message of their own.
_CERT_NOT_YET_VALID = 9
_CERT_HAS_EXPIRED = 10
_HOSTNAME_MISMATCH = 62
_IP_ADDRESS_MISMATCH = 64


def broker_ssl_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """The context every connection to the broker is made with (``hw doctor`` uses it too)."""
    if ca_bundle is not None:
        context = ssl.create_default_context(cafile=str(ca_bundle))
    else:
        context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = MIN_TLS
    return context


def empty_trust() -> ssl.SSLContext:
    """A context that verifies as strictly and trusts no CA at all (for a ca_bundle that cannot be read)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = MIN_TLS
    return context


class TrustAdapter(HTTPAdapter):
    """An adapter whose HTTPS connections use one ``SSLContext`` and nothing else: requests would add certifi's
    bundle to it for ``verify=True`` (``cert_verify`` sets ``ca_certs``), and drop it for a ``verify`` path."""

    def __init__(self, context: ssl.SSLContext, **kwargs: Any) -> None:
        self._context = context
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        kwargs["ssl_context"] = self._context
        return super().proxy_manager_for(proxy, **kwargs)

    def build_connection_pool_key_attributes(
        self, request: Any, verify: Any, cert: Any = None
    ) -> tuple[_HostParams, _PoolKwargs]:
        host, pool = super().build_connection_pool_key_attributes(request, True, cert)
        pool.pop("ca_certs", None)
        pool.pop("ca_cert_dir", None)
        pool["cert_reqs"] = "CERT_REQUIRED"
        pool["ssl_context"] = self._context
        return host, pool

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        conn.cert_reqs = "CERT_REQUIRED"
        conn.ca_certs = None
        conn.ca_cert_dir = None


def _certificate_error(error: ssl.SSLCertVerificationError) -> errors.BrokerTlsFailed:
    code = getattr(error, "verify_code", None)
    detail = str(getattr(error, "verify_message", "") or error)[:200]
    if code == _CERT_HAS_EXPIRED:
        return errors.CertificateExpired(detail=detail)
    if code == _CERT_NOT_YET_VALID:
        return errors.CertificateNotYetValid(detail=detail)
    text = str(error).lower()
    if code in (_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH) or "mismatch" in text or "doesn't match" in text:
        return errors.CertificateWrongName(detail=detail)
    return errors.CertificateUntrusted(detail=detail)


def connection_failure(error: BaseException) -> errors.BrokerUnavailable:
    """The typed error for a request that got no answer: a certificate problem, another TLS failure, or the
    broker not reached (with ``cause``: dns, refused, timeout, reset, unreachable, permission, other)."""
    for item in error_chain(error):
        if isinstance(item, ssl.SSLCertVerificationError):
            return _certificate_error(item)
    for item in error_chain(error):
        if isinstance(item, ssl.SSLError):
            return errors.BrokerTlsFailed(detail=str(item.reason or type(item).__name__)[:200])
    return errors.BrokerUnavailable(cause=network_cause(error))
