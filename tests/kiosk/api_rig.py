"""The kiosk app in-process: ``create_app(settings, devices, broker)`` with the simulated reader (playing the
sandbox's citizens, shortened delays) and a real ESC/POS printer driver talking to the capture printer on
loopback, against the sandbox broker served by a thread of the test process. Driven with the Flask test
client and the Socket.IO test client: every API path in milliseconds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from broker_client import BrokerClient
from broker_sandbox.cards import SandboxCards
from broker_sandbox.citizens import Citizen
from counter_core.settings import Settings, load_settings
from hardware.cards.simulated import SimulatedReader, Timing
from hardware.printer.capture import CapturePrinter, capture_printer
from hardware.printer.escpos_driver import EscposPrinter
from kiosk import create_app
from kiosk.devices import KioskDevices
from mydata_counter.testing.inprocess import PageClient, sandbox_in_thread
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


class Kiosk(PageClient):
    def __init__(self, app: Flask, reader: SimulatedReader, printer: CapturePrinter) -> None:
        super().__init__(app)
        self.reader = reader
        self.printer = printer

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """The JSON answer (with ``status`` added) of a POST to the kiosk API."""
        return self.answer(self.client.post(f"/api{path}", json=body or {}))

    def get(self, path: str) -> Any:
        return self.answer(self.client.get(f"/api{path}"))


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
        kiosk = Kiosk(app, reader, printer)
        try:
            yield kiosk
        finally:
            kiosk.close()
