"""The kiosk app in-process: ``create_app(settings, devices, broker)`` with the simulated reader (playing the
sandbox's citizens, shortened delays) and a real ESC/POS printer driver talking to the capture printer on
loopback, against the sandbox broker served by a thread of the test process. Driven with the Flask test
client and the Socket.IO test client: every API path in milliseconds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from broker_client import BrokerClient
from broker_sandbox.cards import SandboxCards
from broker_sandbox.citizens import Citizen
from counter_core.settings import Settings
from hardware.cards.simulated import SimulatedReader, Timing
from hardware.printer.capture import CapturePrinter, capture_printer
from hardware.printer.escpos_driver import EscposPrinter
from kiosk import create_app
from kiosk.devices import KioskDevices
from mydata_counter.testing import wait_for
from mydata_counter.testing.inprocess import PageClient
from tests.inprocess_rig import Broker, broker

ROOT = Path(__file__).resolve().parents[2]
FAST = Timing(event_delay_s=0.02, read_s=0.0, sign_s=0.0)


class Kiosk(PageClient):
    def __init__(self, app: Flask, reader: SimulatedReader, printer: CapturePrinter) -> None:
        super().__init__(app)
        self.reader = reader
        self.printer = printer

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """The JSON answer (with ``status`` added) of a POST to the kiosk API; after /start the page's socket
        joins the new session's room, as the page does."""
        answer = self.answer(self.client.post(f"/api{path}", json=body or {}))
        if path == "/start" and "socket_token" in answer:
            assert self.socket.emit("join", {"token": answer["socket_token"]}, callback=True) == {"joined": True}
        return answer

    def get(self, path: str) -> Any:
        return self.answer(self.client.get(f"/api{path}"))


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


SERVICE = "hualien-disabled-parking"


def at_identity(kiosk: Kiosk, service: str = SERVICE) -> None:
    """A fresh session at the identity step of ``service``, its terms shown and agreed."""
    assert kiosk.post("/start", {"language": "zh-TW"})["status"] == 200
    assert kiosk.post("/service", {"service_id": service})["status"] == 200
    assert kiosk.post("/consent", {"accepted": True, "shown": "scrolled"})["consented"]


def insert_card(kiosk: Kiosk, card: str, citizen: Citizen, pin: str = "123456") -> None:
    kiosk.client.post("/demo/card", json={"type": card, "national_id": citizen.national_id, "pin": pin})
    assert wait_for(lambda: any(e["kind"] == "card_inserted" for e in kiosk.events("card")), 2)


def moica(kiosk: Kiosk, citizen: Citizen, pin: str = "123456") -> Any:
    kiosk.post("/method", {"method": "moica"})
    insert_card(kiosk, "moica", citizen, pin)
    return kiosk.post("/identity/moica", {"pin": "123456"})


def metric(kiosk: Kiosk, name: str, **labels: str) -> float:
    text = kiosk.client.get("/metrics").get_data(as_text=True)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


__all__ = ["FAST", "SERVICE", "Broker", "Kiosk", "at_identity", "broker", "insert_card", "kiosk", "metric", "moica"]
