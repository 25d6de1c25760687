"""Sandbox broker app factory: ``create_app(settings, clock)``; nothing happens at import time."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request

from broker_client.signing import RequestVerifier
from broker_sandbox.api import IdentityMethods, api_blueprint
from broker_sandbox.api_citizen import CitizenServices
from broker_sandbox.audit import AuditLog
from broker_sandbox.catalogue import Catalogues
from broker_sandbox.clerk_flow import ClerkFlow
from broker_sandbox.contacts import Contacts
from broker_sandbox.durable import SqliteNonces
from broker_sandbox.identity_cards import CardMethods
from broker_sandbox.identity_details import DetailMethods
from broker_sandbox.identity_phone import PhoneMethods
from broker_sandbox.kiosk_flow import KioskFlow
from broker_sandbox.outbox import Outbox
from broker_sandbox.pages import pages_blueprint
from broker_sandbox.phone_scan import scan_blueprint
from broker_sandbox.proxies import ForwardedFromTrustedProxies
from broker_sandbox.qr_signin import QrSignIn
from broker_sandbox.store import Store
from broker_sandbox.terminals import Terminals
from broker_sandbox.usage import Usage
from counter_core.clock import AdjustableClock, Clock, SystemClock
from counter_core.settings import Settings
from counter_web.base import health_blueprint, new_flask_app


def _clock_blueprint(clock: AdjustableClock) -> Blueprint:
    """Tests only (``sandbox.adjustable_clock``): move the sandbox's clock forward instead of sleeping."""
    bp = Blueprint("testing_clock", __name__)

    @bp.post("/testing/clock")
    def advance() -> Response | tuple[Response, int]:
        body = request.get_json(silent=True) or {}
        seconds = body.get("advance_s")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            return jsonify({"error": "advance_s must be a number of seconds ≥ 0"}), 422
        return jsonify({"offset_s": clock.advance(float(seconds))})

    return bp


def create_app(settings: Settings, clock: Clock | None = None) -> Flask:
    """``clock``: the flows' time; by default the system's, or an adjustable one when
    ``sandbox.adjustable_clock`` is set (tests)."""
    app = new_flask_app(__name__, settings.sandbox)
    app.name = "sandbox"
    app.extensions["mydata.settings"] = settings
    if clock is None:
        clock = AdjustableClock() if settings.sandbox.adjustable_clock else SystemClock()
    store = Store(settings.sandbox.database)
    audit = AuditLog(store, clock)
    catalogue = Catalogues(settings.sandbox.catalogue)
    outbox = Outbox(store, settings.sandbox.smtp_port, clock)
    outbox.resume()
    terminals = Terminals(store)
    kiosk = KioskFlow(settings.sandbox, store, audit, catalogue, outbox, clock)
    methods = IdentityMethods(CardMethods(kiosk), DetailMethods(kiosk), PhoneMethods(kiosk))
    clerk = ClerkFlow(settings.sandbox, store, audit, catalogue, outbox, clock)
    clerk.ensure_demo_clerks()
    contacts = Contacts(kiosk)
    citizen = CitizenServices(contacts, Usage(kiosk, contacts), QrSignIn(kiosk, methods.phone))
    clerk.usage = citizen.usage
    if settings.sandbox.demo_mode and settings.broker.key_file is not None:
        terminals.register_demo_key(settings.broker.terminal_id, settings.broker.key_file)
    app.extensions["mydata.sandbox"] = {
        "store": store,
        "terminals": terminals,
        "outbox": outbox,
        "kiosk": kiosk,
        "clerk": clerk,
        "citizen": citizen,
        "clock": clock,
    }
    verifier = RequestVerifier(terminals.public_key, nonces=SqliteNonces(store))
    app.register_blueprint(health_blueprint("sandbox"))
    app.register_blueprint(api_blueprint(verifier, kiosk, methods, clerk, lambda: catalogue.catalogue, citizen))
    app.register_blueprint(pages_blueprint(settings, catalogue.catalogue, methods.phone, outbox))
    app.register_blueprint(scan_blueprint(citizen.qr))
    if isinstance(clock, AdjustableClock) and settings.sandbox.adjustable_clock:
        app.register_blueprint(_clock_blueprint(clock))
    app.wsgi_app = ForwardedFromTrustedProxies(app.wsgi_app, settings.sandbox.trusted_proxies)  # type: ignore[method-assign]
    return app
