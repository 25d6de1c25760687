"""Sandbox pages for people: home (demo accounts and citizens), phone simulator, outbox."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template, request

from broker_client.models import Catalogue
from broker_sandbox.citizens import generate_citizens
from broker_sandbox.clerk_flow import demo_clerks
from broker_sandbox.identity_phone import PhoneMethods
from broker_sandbox.outbox import Outbox
from counter_core.national_id import is_valid_national_id
from counter_core.settings import Settings

SHOWN_CITIZENS = 12


def pages_blueprint(settings: Settings, catalogue: Catalogue, phone_methods: PhoneMethods, outbox: Outbox) -> Blueprint:
    bp = Blueprint("pages", __name__)
    accounts = demo_clerks(catalogue)
    clerks = [(agency, *accounts[agency.id]) for agency in catalogue.agencies]

    @bp.get("/")
    def home() -> str:
        citizens = generate_citizens(settings.sandbox.seed, settings.sandbox.citizens)[:SHOWN_CITIZENS]
        return render_template("sandbox/home.html", clerks=clerks, citizens=citizens, total=settings.sandbox.citizens)

    @bp.get("/phone/<national_id>")
    def phone(national_id: str) -> str:
        if not is_valid_national_id(national_id):
            abort(404)
        scan = request.args.get("scan", "")[:64]  # a kiosk's QR link opened on this phone: scanned at once
        return render_template("sandbox/phone.html", national_id=national_id.upper(), scan=scan)

    @bp.get("/phone/<national_id>/pushes")
    def pushes(national_id: str) -> Response:
        return jsonify({"pushes": phone_methods.pending_pushes(national_id)})

    @bp.post("/phone/<national_id>/pushes/<push_id>")
    def answer(national_id: str, push_id: str) -> Response:
        body = request.get_json(silent=True) or {}
        state = phone_methods.answer_push(
            national_id, push_id, str(body.get("action", "")), str(body.get("choice", ""))
        )
        return jsonify({"state": state})

    @bp.get("/outbox")
    def outbox_page() -> str:
        return render_template("sandbox/outbox.html", messages=outbox.messages())

    @bp.get("/outbox.json")
    def outbox_json() -> Response:
        return jsonify({"messages": outbox.messages()})

    return bp
