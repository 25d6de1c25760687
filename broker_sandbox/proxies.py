"""The URL a terminal signed, when a TLS-terminating proxy stands in front of the broker.

A terminal signs ``@target-uri`` and ``@authority`` as it sees them (``https://broker.example:443/api/v1/…``);
behind a proxy the app is reached as ``http://10.0.0.5:8700/…`` and every signature would fail. The proxy says
what the terminal asked for in ``X-Forwarded-Proto`` and ``X-Forwarded-Host``; those headers are believed only
from the proxies named in ``[sandbox] trusted_proxies`` (anyone else could use them to make a captured request
verify against another URL); the app never sees them otherwise.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

WSGIApp = Any
_HEADERS = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")


class ForwardedFromTrustedProxies:
    """WSGI middleware: the request's scheme and host from the forwarded headers of a trusted proxy."""

    def __init__(self, app: WSGIApp, networks: Iterable[str]) -> None:
        self.app = app
        self.networks = [ipaddress.ip_network(network, strict=False) for network in networks]

    def _trusted(self, address: str) -> bool:
        try:
            peer = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(peer in network for network in self.networks)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        forwarded = {name: environ.pop(name, "") for name in _HEADERS}
        if self._trusted(str(environ.get("REMOTE_ADDR", ""))):
            # The nearest proxy's value is the last one in a list.
            proto = forwarded["HTTP_X_FORWARDED_PROTO"].split(",")[-1].strip().lower()
            host = forwarded["HTTP_X_FORWARDED_HOST"].split(",")[-1].strip()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
            if host:
                environ["HTTP_HOST"] = host
        return self.app(environ, start_response)
