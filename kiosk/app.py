"""Kiosk app factory: ``create_app(settings, devices)``; nothing happens at import time."""

from __future__ import annotations

import json
import threading
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, render_template, request
from flask_socketio import SocketIO

from broker_client import BrokerClient
from counter_core.i18n import subset
from counter_core.settings import Settings
from counter_web.admin import admin_blueprint
from counter_web.base import health_blueprint, new_flask_app, register_hello
from hardware.cards import build_reader
from hardware.cards.interface import CardEvent
from hardware.devices import Devices, build_device
from kiosk.api import kiosk_api
from kiosk.flow import SessionStore

KIOSK_DEVICES = ("reader", "printer")
SWEEP_EVERY_S = 2.0


def create_app(settings: Settings, devices: Devices | None = None, broker: BrokerClient | None = None) -> Flask:
    app = new_flask_app(__name__, settings.kiosk)
    app.name = "kiosk"
    app.config["SESSION_COOKIE_NAME"] = "kiosk_session"
    if devices is None:
        devices = Devices({
            "reader": build_reader(settings.devices.reader, settings.sandbox.seed, settings.sandbox.citizens),
            "printer": build_device("printer", settings.devices),
        })  # fmt: skip
    broker = broker or BrokerClient(settings.broker)
    app.extensions["mydata.settings"] = settings
    app.extensions["mydata.devices"] = devices
    socketio = SocketIO(app, async_mode="threading")
    app.extensions["mydata.socketio"] = socketio
    register_hello(socketio, "kiosk")
    kiosk = settings.kiosk
    store = SessionStore(max_idle_s=kiosk.idle_warning_s + kiosk.idle_wipe_s + 5)
    app.extensions["mydata.kiosk_sessions"] = store

    def emit(event: str, payload: dict[str, Any]) -> None:
        socketio.emit(event, payload)

    reader: Any = devices.by_kind.get("reader")
    card_reader = reader if hasattr(reader, "subscribe") else None
    if card_reader is not None:

        def on_card(event: CardEvent) -> None:
            if event.kind == "card_removed" and store.wipe_where(lambda s: s.uses_card(event.card_type)):
                # The card pulled in the middle of its step: the citizen is leaving; wipe what they gave.
                emit("wiped", {"reason": "card.removed"})
            emit("card", {"kind": event.kind, "card_type": event.card_type})

        card_reader.subscribe(on_card)

    app.register_blueprint(health_blueprint("kiosk", devices.states))
    app.register_blueprint(
        kiosk_api(
            store,
            broker,
            card_reader,
            devices.by_kind["printer"],  # type: ignore[arg-type]
            emit,
            kiosk.terms_version,
        )
    )
    if settings.devices.reader.driver == "simulated" and card_reader is not None:
        app.register_blueprint(_demo_reader_blueprint(card_reader))

    page_config = json.dumps({
        "idleWarningS": kiosk.idle_warning_s, "idleWipeS": kiosk.idle_wipe_s, "doneReturnS": kiosk.done_return_s,
        "defaultLanguage": kiosk.default_language, "simulatedReader": settings.devices.reader.driver == "simulated",
        "demoCitizen": reader.sample_citizen() if hasattr(reader, "sample_citizen") else "",
        "messages": subset(("kiosk.", "broker.", "card.", "printer.")),
    }, ensure_ascii=False)  # fmt: skip

    def print_test() -> dict[str, object]:
        from datetime import datetime, timedelta

        from hardware.printer.receipt import sample_receipt

        devices.by_kind["printer"].print_receipt(  # type: ignore[attr-defined]
            sample_receipt(datetime.now() + timedelta(minutes=10))
        )
        return {"printed": True}

    def list_readers() -> dict[str, object]:
        return {"readers": [r.__dict__ for r in card_reader.readers()] if card_reader else []}

    app.register_blueprint(
        admin_blueprint(
            "kiosk", settings, devices, kiosk.admin_password_hash, {"print-test": print_test, "readers": list_readers}
        )
    )

    @app.get("/")
    def page() -> str:
        return render_template("kiosk/app.html", language=kiosk.default_language, config=page_config)

    def sweeper() -> None:
        stop = threading.Event()
        while not stop.wait(SWEEP_EVERY_S):
            if store.sweep():
                emit("wiped", {"reason": "kiosk.idle.wiped"})

    threading.Thread(target=sweeper, daemon=True, name="kiosk-sweeper").start()
    return app


def _demo_reader_blueprint(reader: Any) -> Blueprint:
    """Insert/remove a simulated card (demo and tests; only with the simulated reader)."""
    bp = Blueprint("demo_reader", __name__, url_prefix="/demo")

    @bp.post("/card")
    def insert() -> Response:
        data = request.get_json(silent=True) or {}
        reader.insert(str(data.get("type", "moica")), str(data.get("national_id", "")), str(data.get("pin", "123456")))
        return jsonify({"ok": True})

    @bp.delete("/card")
    def remove() -> Response:
        reader.remove()
        return jsonify({"ok": True})

    return bp
