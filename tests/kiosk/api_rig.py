"""The kiosk app in-process: ``create_app(settings, devices, broker)`` with the simulated reader (playing the
sandbox's citizens, shortened delays) and a real ESC/POS printer driver talking to the capture printer on
loopback, against the sandbox broker served by a thread of the test process. Driven with the Flask test
client and the Socket.IO test client: every API path in milliseconds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from broker_client import BrokerClient
from broker_sandbox.cards import SandboxCards
from broker_sandbox.citizens import Citizen
from counter_core.settings import Settings, load_settings
from counter_web.base import close_app
from hardware.cards.simulated import SimulatedReader, Timing
from hardware.printer.capture import CapturePrinter, capture_printer
from hardware.printer.escpos_driver import EscposPrinter
from kiosk import create_app
from kiosk.devices import KioskDevices
from mydata_counter.testing import wait_for
from mydata_counter.testing.inprocess import sandbox_in_thread
from mydata_counter.testing.sandbox import citizens, sandbox_settings

ROOT = Path(__file__).resolve().parents[2]
FAST = Timing(event_delay_s=0.02, read_s=0.0, sign_s=0.0)


@dataclass
class Broker:
    settings: Settings
    app: Flask

    @property
    def url(self) -> str:
        return self.settings.broker.url

    def citizen(self, index: int) -> Citizen:
        return citizens(self.settings)[index]

    def sandbox(self) -> dict[str, Any]:
        return dict(self.app.extensions["mydata.sandbox"])


@dataclass
class Kiosk:
    app: Flask
    client: FlaskClient
    socket: Any  # flask_socketio.SocketIOTestClient
    reader: SimulatedReader
    printer: CapturePrinter
    received: list[dict[str, Any]] = field(default_factory=list)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """The JSON answer (with ``status`` added) of a POST to the kiosk API."""
        return _answer(self.client.post(f"/api{path}", json=body or {}))

    def get(self, path: str) -> Any:
        return _answer(self.client.get(f"/api{path}"))

    def events(self, name: str) -> list[dict[str, Any]]:
        """Every ``name`` event the page has received so far."""
        self.received.extend(self.socket.get_received())
        return [e["args"][0] for e in self.received if e["name"] == name]

    def wait_event(self, name: str, timeout_s: float = 5.0) -> dict[str, Any]:
        """The first ``name`` event, waiting for it to arrive (device and watcher threads send them)."""
        assert wait_for(lambda: bool(self.events(name)), timeout_s), f"no {name!r} event within {timeout_s} s"
        return self.events(name)[0]


def _answer(response: Any) -> dict[str, Any]:
    body = response.get_json(silent=True)
    return {**(body if isinstance(body, dict) else {}), "status": response.status_code}


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    settings = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), tmp_path_factory.mktemp("sandbox"))
    with sandbox_in_thread(settings) as app:
        yield Broker(settings, app)


@pytest.fixture
def kiosk(broker: Broker) -> Iterator[Kiosk]:
    with capture_printer() as printer:
        data = broker.settings.model_dump()
        data["devices"]["printer"].update({"driver": "real", "kind": "escpos-network", "port": printer.port})
        settings = Settings(**data)
        reader = SimulatedReader(
            settings.devices.reader, SandboxCards(settings.sandbox.seed, settings.sandbox.citizens), FAST
        )
        app = create_app(
            settings, KioskDevices(reader, EscposPrinter(settings.devices.printer)), BrokerClient(settings.broker)
        )
        client = app.test_client()
        socket = app.extensions["mydata.socketio"].test_client(app, flask_test_client=client)
        try:
            yield Kiosk(app, client, socket, reader, printer)
        finally:
            socket.disconnect()
            close_app(app)
