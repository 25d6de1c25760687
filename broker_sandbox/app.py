"""Sandbox broker app factory: ``create_app(settings)``; nothing happens at import time."""

from __future__ import annotations

from flask import Flask

from broker_client.signing import RequestVerifier
from broker_sandbox.api import api_blueprint
from broker_sandbox.audit import AuditLog
from broker_sandbox.catalogue import Catalogues
from broker_sandbox.clerk_flow import ClerkFlow
from broker_sandbox.kiosk_flow import KioskFlow
from broker_sandbox.outbox import Outbox
from broker_sandbox.pages import pages_blueprint
from broker_sandbox.proxies import ForwardedFromTrustedProxies
from broker_sandbox.store import Store
from broker_sandbox.terminals import Terminals
from counter_core.settings import Settings
from counter_web.base import health_blueprint, new_flask_app


def create_app(settings: Settings) -> Flask:
    app = new_flask_app(__name__, settings.sandbox)
    app.name = "sandbox"
    app.extensions["mydata.settings"] = settings
    store = Store(settings.sandbox.database)
    audit = AuditLog(store)
    catalogue = Catalogues()
    outbox = Outbox(store, settings.sandbox.smtp_port)
    outbox.resume()
    terminals = Terminals(store)
    kiosk = KioskFlow(settings.sandbox, store, audit, catalogue, outbox)
    clerk = ClerkFlow(settings.sandbox, store, audit, catalogue, outbox)
    clerk.ensure_demo_clerks()
    if settings.sandbox.demo_mode and settings.broker.key_file is not None:
        terminals.register_demo_key(settings.broker.terminal_id, settings.broker.key_file)
    app.extensions["mydata.sandbox"] = {
        "store": store,
        "terminals": terminals,
        "outbox": outbox,
        "kiosk": kiosk,
        "clerk": clerk,
    }
    verifier = RequestVerifier(terminals.public_key)
    app.register_blueprint(health_blueprint("sandbox"))
    app.register_blueprint(api_blueprint(verifier, kiosk, clerk, lambda: catalogue.catalogue))
    app.register_blueprint(pages_blueprint(settings, kiosk, outbox))
    app.wsgi_app = ForwardedFromTrustedProxies(app.wsgi_app, settings.sandbox.trusted_proxies)  # type: ignore[method-assign]
    return app
