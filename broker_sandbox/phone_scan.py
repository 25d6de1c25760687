"""The phone simulator's "scan" (the mobile-certificate app's QR scanner) and the page a kiosk's QR link opens.

The app of the citizen on ``/phone/<national id>`` scans what the kiosk shows three ways: a picture of it
(decoded here with zxing-cpp, as a phone's scanner would), the text pasted, or the link opened
(``/qr/<token>`` asks which simulated phone opens it and hands the token to that phone's page).
"""

from __future__ import annotations

import io

import zxingcpp
from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for
from PIL import Image, UnidentifiedImageError
from werkzeug.wrappers import Response as Redirect

from broker_sandbox.qr_signin import QrSignIn, token_in
from counter_core.national_id import is_valid_national_id


def _scanned_text() -> str:
    """What the app read: the uploaded picture's QR code, or the text pasted."""
    picture = request.files.get("image")
    if picture is not None:
        try:
            with Image.open(io.BytesIO(picture.read())) as image:
                found = zxingcpp.read_barcodes(image.convert("L"))
        except (UnidentifiedImageError, OSError, ValueError):
            return ""
        return next((r.text for r in found if r.text), "")
    body = request.get_json(silent=True) or {}
    return str(body.get("text") or request.form.get("text") or "")[:512]


def scan_blueprint(qr: QrSignIn) -> Blueprint:
    bp = Blueprint("phone_scan", __name__)

    @bp.post("/phone/<national_id>/scan")
    def scan(national_id: str) -> Response:
        if not is_valid_national_id(national_id):
            abort(404)
        text = _scanned_text()
        if not text:
            return jsonify({"state": "unreadable"})
        return jsonify(qr.scan(national_id.upper(), text))

    @bp.get("/qr/<token>")
    def opened(token: str) -> str:
        """The kiosk's link opened in a browser: which simulated phone (which citizen's app) opens it."""
        if token_in(token) is None:
            abort(404)
        return render_template("sandbox/qr_open.html", token=token)

    @bp.get("/phone/open")
    def open_on_phone() -> Redirect:
        national_id = request.args.get("national_id", "").strip().upper()
        token = token_in(request.args.get("scan", ""))
        if not is_valid_national_id(national_id) or token is None:
            abort(404)
        return redirect(url_for("pages.phone", national_id=national_id, scan=token))

    return bp
