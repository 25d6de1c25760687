"""Clerk app factory: ``create_app(settings, devices)``; nothing happens at import time."""

from __future__ import annotations

import atexit
import json
import threading

from flask import Flask, session
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect

from broker_client import BrokerClient
from clerk.audit import LocalAudit
from clerk.camera_feed import CameraFeed, camera_blueprint
from clerk.sessions import ClerkSessions
from clerk.views import clerk_blueprint, purge_due
from counter_core.i18n import subset
from counter_core.settings import Settings
from counter_web.admin import admin_blueprint
from counter_web.base import health_blueprint, new_flask_app, register_hello
from hardware.decode.interface import Decoded
from hardware.devices import Devices, build_devices

CLERK_DEVICES = ("camera", "decoder")
PURGE_CHECK_S = 1.0


def _technician(password_hash: str) -> bool:
    """The admin page shows the camera too: a technician's Basic credentials open the stream."""
    from argon2 import PasswordHasher
    from argon2.exceptions import VerificationError
    from flask import request

    auth = request.authorization
    if not password_hash or auth is None or auth.username != "technician":
        return False
    try:
        return PasswordHasher().verify(password_hash, auth.password or "")
    except VerificationError:
        return False


def create_app(settings: Settings, devices: Devices | None = None, broker: BrokerClient | None = None) -> Flask:
    app = new_flask_app(__name__, settings.clerk)
    app.name = "clerk"
    app.config.update(
        SESSION_COOKIE_NAME="clerk_session",
        SESSION_COOKIE_SECURE=settings.clerk.secure_cookies,
        PERMANENT_SESSION_LIFETIME=settings.clerk.session_timeout_s,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the login session
    )
    csrf = CSRFProtect(app)
    devices = devices if devices is not None else build_devices(settings.devices, CLERK_DEVICES)
    broker = broker or BrokerClient(settings.broker)
    app.extensions["mydata.settings"] = settings
    app.extensions["mydata.devices"] = devices
    socketio = SocketIO(app, async_mode="threading")
    app.extensions["mydata.socketio"] = socketio
    register_hello(socketio, "clerk")
    logins = ClerkSessions(settings.clerk.session_timeout_s)
    audit = LocalAudit(settings.clerk.audit_db)
    app.extensions["mydata.clerk"] = {"logins": logins, "audit": audit}
    page_config = json.dumps(
        {"messages": subset(("clerk.", "broker.", "camera.")), "purgeAfterS": settings.clerk.purge_after_s},
        ensure_ascii=False,
    )
    # The demo (sandbox in demo mode) names its demo account on the login page; a real station never does.
    demo_broker = settings.broker.url if settings.sandbox.demo_mode else ""
    app.context_processor(lambda: {"demo_broker": demo_broker})
    views = clerk_blueprint(broker, logins, audit, settings.clerk.purge_after_s, lambda: page_config)
    app.register_blueprint(health_blueprint("clerk", devices.states))
    app.register_blueprint(views)

    def found(decoded: Decoded) -> None:
        socketio.emit("code_found", {"code": decoded.code, "format": decoded.format})

    feed = CameraFeed(devices.by_kind["camera"], devices.by_kind["decoder"], found)  # type: ignore[arg-type]
    feed.start()

    def shut_down() -> None:
        feed.close()
        devices.close()

    atexit.register(shut_down)  # before interpreter teardown, so no native thread is mid-frame
    app.register_blueprint(
        camera_blueprint(
            feed,
            lambda: (
                logins.get(session.get("clerk_login")) is not None or _technician(settings.clerk.admin_password_hash)
            ),
        )
    )

    def decode_test() -> dict[str, object]:
        frame = devices.by_kind["camera"].latest_frame()  # type: ignore[attr-defined]
        if frame is None:
            return {"frame": None}
        found = devices.by_kind["decoder"].decode(frame.image)  # type: ignore[attr-defined]
        return {
            "frame": list(frame.image.shape),
            "decoded": found.format if found else None,
            "ms": round(found.ms, 1) if found else None,
        }

    admin = admin_blueprint(
        "clerk", settings, devices, settings.clerk.admin_password_hash, {"decode-test": decode_test}
    )
    csrf.exempt(admin)
    app.register_blueprint(admin)

    def purge_timer() -> None:
        stop = threading.Event()
        while not stop.wait(PURGE_CHECK_S):
            if purge_due(views, logins):
                socketio.emit("purged", {"reason": "timeout"})

    threading.Thread(target=purge_timer, daemon=True, name="clerk-purge").start()
    return app
