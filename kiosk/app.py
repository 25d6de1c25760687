"""Kiosk app factory: ``create_app(settings, devices, broker)``; nothing happens at import time.

The factory wires ``KioskService`` to HTTP (``kiosk.api``), Socket.IO (its event sink) and the admin
page; the top layer (``mydata_counter.wiring``) builds the devices and the broker client it is given.
"""

from __future__ import annotations

from flask import Flask, render_template, session

from broker_client import BrokerClient
from counter_core.i18n import page_languages, subset
from counter_core.settings import Settings
from counter_web.admin import TechnicianGate, admin_blueprint
from counter_web.base import SocketEvents, health_blueprint, new_flask_app, new_socketio, on_close, register_socket
from kiosk import api, api_citizen, demo
from kiosk.devices import KioskDevices, build_kiosk_devices
from kiosk.help import HelpDesk
from kiosk.service import KioskService

PAGE_MESSAGES = ("kiosk.", "broker.", "card.", "printer.")


def create_app(
    settings: Settings,
    devices: KioskDevices | None = None,
    broker: BrokerClient | None = None,
    help_desk: HelpDesk | None = None,
) -> Flask:
    app = new_flask_app(__name__, settings.kiosk)
    app.name = "kiosk"
    app.config["SESSION_COOKIE_NAME"] = "kiosk_session"
    devices = devices if devices is not None else build_kiosk_devices(settings.devices)
    socketio = new_socketio(app)
    broker = broker or BrokerClient(settings.broker)
    service = KioskService(settings.kiosk, devices, broker, SocketEvents(socketio), help_desk)

    def member() -> str | None:
        found = service.store.get(session.get(api.COOKIE_KEY))
        return found.id if found is not None else None

    def join(token: str) -> str | None:
        found = service.store.by_socket_token(token)
        return found.id if found is not None else None

    register_socket(socketio, "kiosk", member, join)
    app.extensions.update({"mydata.settings": settings, "mydata.socketio": socketio, "kiosk.service": service})
    on_close(app, service)

    app.register_blueprint(health_blueprint("kiosk", devices.states))
    app.register_blueprint(api.bp)
    app.register_blueprint(api_citizen.bp)
    if devices.demo_reader is not None:
        app.extensions["kiosk.demo_reader"] = devices.demo_reader
        app.register_blueprint(demo.bp)
    actions = {"print-test": service.print_test, "readers": service.list_readers}
    gate = TechnicianGate(settings.kiosk.admin_password_hash, settings.kiosk.admin_from)
    app.register_blueprint(admin_blueprint("kiosk", settings, devices.states, gate, actions))

    page_config = {**service.page_config(), "messages": subset(PAGE_MESSAGES)}

    @app.get("/")
    def page() -> str:
        return render_template(
            "kiosk/app.html",
            language=settings.kiosk.default_language,
            languages=page_languages(),
            audio_key=settings.kiosk.audio_key,
            config=page_config,
        )

    service.start()
    return app
