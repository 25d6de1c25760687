"""The kiosk page's API for the citizen's own, after the identity check — the contact notices go to and the
records of use — and the QR that starts a phone sign-in. Thin, like ``kiosk.api``: request → service → JSON."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, jsonify

from counter_core.errors import CounterError
from kiosk import api

bp = Blueprint("kiosk_citizen_api", __name__, url_prefix="/api")
bp.register_error_handler(CounterError, api.counter_error)


def _dump(model: Any) -> Response:
    return jsonify(model.model_dump(mode="json", by_alias=True))


@bp.get("/contact")
def contact() -> Response:
    return _dump(api.service().citizen.contact(api.current()))


@bp.post("/contact/code")
def contact_code() -> Response:
    body = api.body()
    sent = api.service().citizen.send_code(api.current(), str(body.get("kind", "")), str(body.get("address", ""))[:254])
    return _dump(sent)


@bp.post("/contact/verify")
def contact_verify() -> Response:
    body = api.body()
    return _dump(api.service().citizen.verify(api.current(), str(body.get("kind", "")), str(body.get("code", ""))[:16]))


@bp.post("/contact/primary")
def contact_primary() -> Response:
    return _dump(api.service().citizen.primary(api.current(), str(api.body().get("kind", ""))))


@bp.get("/records")
def records() -> Response:
    return _dump(api.service().citizen.records(api.current()))


@bp.post("/identity/qr")
def qr_start() -> Response:
    started = api.service().identity.qr_start(api.current())
    seconds = int(started.expires_at.timestamp() - time.time())
    return jsonify({"qr_id": started.qr_id, "seconds": seconds, "expires_at": started.expires_at.isoformat()})


@bp.get("/identity/qr.svg")
def qr_image() -> Response:
    svg = api.service().identity.qr_svg(api.current())
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})
