"""Calling a clerk from the kiosk (請櫃台協助): the kiosk tells the clerk stations of its counter which kiosk
and which screen — never anything about the citizen — in a request signed with its terminal key (RFC 9421,
as its requests to the broker are), and asks them later whether a clerk has said they are coming."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field

import requests

from broker_client.signing import RequestSigner

log = logging.getLogger(__name__)
TIMEOUT_S = 3.0


@dataclass
class HelpCall:
    id: str
    screen: str
    stations: list[str] = field(default_factory=list)  # those that took the call


class HelpDesk:
    def __init__(self, kiosk_name: str, stations: list[str], signer: RequestSigner | None) -> None:
        self.kiosk_name = kiosk_name
        self.stations = [url.rstrip("/") for url in stations]
        self.signer = signer
        self._session = requests.Session()
        self._session.trust_env = False

    def call(self, screen: str) -> HelpCall:
        """Tell every configured station; the call counts the stations that took it (0: none reachable)."""
        call = HelpCall(secrets.token_urlsafe(12), screen)
        if self.signer is None:
            return call
        for url in self.stations:
            body = {"id": call.id, "kiosk": self.kiosk_name, "screen": screen}
            try:
                answer = self._session.post(f"{url}/api/help-requests", json=body, auth=self.signer, timeout=TIMEOUT_S)
            except requests.RequestException as exc:
                log.warning("help: station %s unreachable (%s)", url, type(exc).__name__)
                continue
            if answer.status_code == 202:
                call.stations.append(url)
            else:
                log.warning("help: station %s refused the call (%d)", url, answer.status_code)
        return call

    def answered(self, call: HelpCall) -> str:
        """ "acknowledged" once a clerk at any station said they are coming, else "open"."""
        for url in call.stations:
            try:
                answer = self._session.get(f"{url}/api/help-requests/{call.id}", auth=self.signer, timeout=TIMEOUT_S)
            except requests.RequestException:
                continue
            if answer.ok and answer.json().get("state") == "acknowledged":
                return "acknowledged"
        return "open"
