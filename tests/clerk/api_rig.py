"""The clerk app in-process: ``create_app(settings, devices, broker)`` with the simulated camera and the real
decoder, against the sandbox broker served by a thread of the test process; driven with the Flask test
client (CSRF tokens read from the pages, as a browser gets them) and the Socket.IO test client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from broker_client import BrokerClient
from clerk import create_app
from clerk.devices import ClerkDevices
from clerk.service import ClerkService
from counter_core.settings import Settings, load_settings
from counter_web.base import close_app
from hardware.camera.simulated import SimulatedCamera
from hardware.decode import build_decoder
from mydata_counter.testing import wait_for
from mydata_counter.testing.inprocess import sandbox_in_thread
from mydata_counter.testing.sandbox import citizens, issue_code, sandbox_settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"|name="csrf_token" value="([^"]+)"')


@dataclass
class Station:
    app: Flask
    client: FlaskClient
    socket: Any  # flask_socketio.SocketIOTestClient
    camera: SimulatedCamera
    settings: Settings
    csrf: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)

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
        return response

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """The JSON answer (with ``status`` added) of a POST with the page's CSRF token."""
        response = self.client.post(path, json=body or {}, headers={"X-CSRFToken": self.csrf})
        answer = response.get_json(silent=True)
        return {**(answer if isinstance(answer, dict) else {}), "status": response.status_code}

    def get(self, path: str) -> Any:
        response = self.client.get(path)
        answer = response.get_json(silent=True)
        return {**(answer if isinstance(answer, dict) else {}), "status": response.status_code}

    def code(self, index: int, service: str = "hualien-disabled-parking") -> str:
        citizen = citizens(self.settings)[index]
        return issue_code(BrokerClient(self.settings.broker), self.settings, citizen, service).code

    def events(self, name: str) -> list[dict[str, Any]]:
        """Every ``name`` event the page has received so far."""
        self.received.extend(self.socket.get_received())
        return [e["args"][0] for e in self.received if e["name"] == name]

    def wait_event(self, name: str, timeout_s: float = 5.0) -> dict[str, Any]:
        """The first ``name`` event, waiting for it to arrive (device and watcher threads send them)."""
        assert wait_for(lambda: bool(self.events(name)), timeout_s), f"no {name!r} event within {timeout_s} s"
        return self.events(name)[0]


@pytest.fixture(scope="module")
def broker_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    settings = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), tmp_path_factory.mktemp("sandbox"))
    with sandbox_in_thread(settings):
        yield settings


@pytest.fixture
def station(broker_settings: Settings, tmp_path: Path) -> Iterator[Station]:
    data = broker_settings.model_dump()
    data["clerk"].update({"audit_db": tmp_path / "clerk-audit.db", "purge_after_s": 600})
    data["devices"]["camera"].update({"fps": 5, "width": 1280, "height": 720})
    settings = Settings(**data)
    camera = SimulatedCamera(settings.devices.camera)
    app = create_app(
        settings, ClerkDevices(camera, build_decoder(settings.devices.decoder)), BrokerClient(settings.broker)
    )
    client = app.test_client()
    socket = app.extensions["mydata.socketio"].test_client(app, flask_test_client=client)
    try:
        yield Station(app, client, socket, camera, settings)
    finally:
        socket.disconnect()
        close_app(app)
