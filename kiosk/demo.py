"""The demo card panel's endpoints: insert or remove a card in the simulated reader, unplug it or plug it in.
Registered only when the reader is simulated, so a kiosk with a real reader has no such routes."""

from __future__ import annotations

from typing import cast

from flask import Blueprint, Response, current_app, jsonify, request

from hardware.cards.interface import CardType
from hardware.cards.simulated import SimulatedReader

bp = Blueprint("demo_reader", __name__, url_prefix="/demo")


def _reader() -> SimulatedReader:
    return cast(SimulatedReader, current_app.extensions["kiosk.demo_reader"])


@bp.post("/card")
def insert() -> Response:
    data = request.get_json(silent=True) or {}
    kind = str(data.get("type", "moica"))
    card_type: CardType = cast(CardType, kind) if kind in ("moica", "nhi", "bank") else "unknown"
    _reader().insert(card_type, str(data.get("national_id", "")), str(data.get("pin", "123456")))
    return jsonify({"ok": True})


@bp.delete("/card")
def remove() -> Response:
    _reader().remove()
    return jsonify({"ok": True})


@bp.post("/reader")
def plug() -> Response:
    """The reader's cable pulled out (``{"plugged": false}``) or put back: what the kiosk does without a reader."""
    if (request.get_json(silent=True) or {}).get("plugged", True):
        _reader().plug_in()
    else:
        _reader().unplug()
    return jsonify({"ok": True})
