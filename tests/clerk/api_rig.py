"""The clerk app in-process: ``create_app(settings, devices, broker)`` with the simulated camera and the real
decoder, against the sandbox broker served by a thread of the test process; driven with the Flask test
client (CSRF tokens read from the pages, as a browser gets them) and the Socket.IO test client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from broker_client import BrokerClient
from clerk import create_app
from clerk.devices import ClerkDevices
from clerk.service import ClerkService
from counter_core.settings import Settings
from hardware.camera.simulated import SimulatedCamera
from hardware.decode import build_decoder
from mydata_counter.testing.inprocess import PageClient
from mydata_counter.testing.sandbox import citizens, issue_code
from tests.inprocess_rig import Broker, broker

ROOT = Path(__file__).resolve().parents[2]
TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"|name="csrf_token" value="([^"]+)"')


class Station(PageClient):
    def __init__(self, app: Flask, camera: SimulatedCamera, settings: Settings) -> None:
        super().__init__(app)
        self.camera = camera
        self.settings = settings
        self.csrf = ""

    @property
    def service(self) -> ClerkService:
        return self.app.extensions["clerk.service"]  # type: ignore[no-any-return]

    def token(self, path: str) -> str:
        match = TOKEN.search(self.client.get(path).get_data(as_text=True))
        assert match is not None, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)

    def login(self, user: str = "clerk-hualien", password: str = "hualien-demo") -> Any:
        form = {"username": user, "password": password, "csrf_token": self.token("/login")}
        response = self.client.post("/login", data=form)
        if response.status_code == 302:
            self.csrf = self.token("/")
            self.reconnect()  # the scan page's socket connects with the login's cookie
        return response

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """The JSON answer (with ``status`` added) of a POST with the page's CSRF token."""
        return self.answer(self.client.post(path, json=body or {}, headers={"X-CSRFToken": self.csrf}))

    def get(self, path: str) -> Any:
        return self.answer(self.client.get(path))

    def code(self, index: int, service: str = "hualien-disabled-parking") -> str:
        citizen = citizens(self.settings)[index]
        return issue_code(BrokerClient(self.settings.broker), self.settings, citizen, service).code


@pytest.fixture
def station(broker: Broker, tmp_path: Path) -> Iterator[Station]:
    data = broker.settings.model_dump()
    data["clerk"].update({"audit_db": tmp_path / "clerk-audit.db", "purge_after_s": 600})
    data["devices"]["camera"].update({"fps": 5, "width": 1280, "height": 720})
    settings = Settings(**data)
    camera = SimulatedCamera(settings.devices.camera)
    app = create_app(
        settings, ClerkDevices(camera, build_decoder(settings.devices.decoder)), BrokerClient(settings.broker)
    )
    station = Station(app, camera, settings)
    try:
        yield station
    finally:
        station.close()


__all__ = ["Broker", "Station", "broker", "station"]
