"""Clerk app factory: ``create_app(settings, devices, broker)``; nothing happens at import time.

The factory wires ``ClerkService`` to HTTP (``clerk.views``), Socket.IO (its event sink), the camera
preview and the admin page; the top layer (``mydata_counter.wiring``) builds what it is given.
"""

from __future__ import annotations

from flask import Flask, session
from flask_wtf.csrf import CSRFProtect

from broker_client import BrokerClient
from clerk import views
from clerk.camera_feed import camera_blueprint
from clerk.devices import ClerkDevices, build_clerk_devices
from clerk.service import ClerkService
from counter_core.clock import Clock
from counter_core.i18n import subset
from counter_core.settings import Settings
from counter_web.admin import TechnicianGate, admin_blueprint
from counter_web.base import SocketEvents, health_blueprint, new_flask_app, new_socketio, on_close, register_socket

PAGE_MESSAGES = ("clerk.", "broker.", "camera.", "code.")


def create_app(
    settings: Settings,
    devices: ClerkDevices | None = None,
    broker: BrokerClient | None = None,
    clock: Clock | None = None,
) -> Flask:
    """``clock``: the station's time for signed receipts (tests move it; by default the system's)."""
    app = new_flask_app(__name__, settings.clerk)
    app.name = "clerk"
    app.config.update(
        SESSION_COOKIE_NAME="clerk_session",
        SESSION_COOKIE_SECURE=settings.clerk.secure_cookies or settings.clerk.scheme == "https",
        PERMANENT_SESSION_LIFETIME=settings.clerk.session_timeout_s,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the login session
    )
    csrf = CSRFProtect(app)
    devices = devices if devices is not None else build_clerk_devices(settings.devices)
    socketio = new_socketio(app)
    broker = broker or BrokerClient(settings.broker)
    service = ClerkService(settings.clerk, devices, broker, SocketEvents(socketio), clock=clock)

    def member() -> str | None:
        """A logged-in clerk's scan page: its own room, and it takes the camera (see ClerkService)."""
        login = service.current(session.get(views.COOKIE_KEY))
        if login is None:
            return None
        service.claim_camera(login)
        return login.id

    register_socket(socketio, "clerk", member)
    app.extensions.update({
        "mydata.settings": settings, "mydata.socketio": socketio, "clerk.service": service,
        "clerk.page_config": {"messages": subset(PAGE_MESSAGES), "purgeAfterS": settings.clerk.purge_after_s},
    })  # fmt: skip
    on_close(app, service)
    # The demo (sandbox in demo mode) names its demo account on the login page; a real station never does.
    demo_broker = settings.broker.url if settings.sandbox.demo_mode else ""
    app.context_processor(lambda: {"demo_broker": demo_broker})

    app.register_blueprint(health_blueprint("clerk", devices.states))
    app.register_blueprint(views.bp)
    csrf.exempt(views.help_bp)  # the kiosk signs its calls instead
    app.register_blueprint(views.help_bp)
    gate = TechnicianGate(settings.clerk.admin_password_hash, settings.clerk.admin_from)
    app.register_blueprint(
        camera_blueprint(
            service.feed, lambda: service.current(session.get(views.COOKIE_KEY)) is not None or gate.allows()
        )
    )
    admin = admin_blueprint("clerk", settings, devices.states, gate, {"decode-test": service.decode_test})
    csrf.exempt(admin)
    app.register_blueprint(admin)
    service.start()
    return app
