"""Kiosk app factory: ``create_app(settings, devices)``; nothing happens at import time."""

from __future__ import annotations

from flask import Flask, render_template
from flask_socketio import SocketIO

from hardware.devices import Devices, build_devices
from mydata_counter.settings import Settings
from mydata_counter.web import health_blueprint, new_flask_app, register_hello

KIOSK_DEVICES = ("reader", "printer")


def create_app(settings: Settings, devices: Devices | None = None) -> Flask:
    app = new_flask_app(__name__, settings.kiosk)
    app.name = "kiosk"
    devices = devices if devices is not None else build_devices(settings.devices, KIOSK_DEVICES)
    app.extensions["mydata.settings"] = settings
    app.extensions["mydata.devices"] = devices
    socketio = SocketIO(app, async_mode="threading")
    app.extensions["mydata.socketio"] = socketio
    register_hello(socketio, "kiosk")
    app.register_blueprint(health_blueprint("kiosk", devices.states))

    @app.get("/")
    def welcome() -> str:
        return render_template("kiosk/welcome.html", language=settings.kiosk.default_language)

    return app
