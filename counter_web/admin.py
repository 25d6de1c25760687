"""The technician's admin page (``/admin`` on kiosk and clerk): device status, config (validated, secrets
hidden), recent errors (redacted), and device tests — print a test receipt, list card readers, watch the
camera. HTTP Basic auth against an argon2 hash in config; no hash, no admin page."""

from __future__ import annotations

import collections
import logging
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from flask import Blueprint, Response, jsonify, render_template, request

from counter_core.redaction import RedactionFilter
from counter_core.settings import Settings
from counter_web.base import on_close

Action = Callable[[], dict[str, Any]]


def is_technician(password_hash: str) -> bool:
    """Whether the request carries the technician's Basic credentials (user ``technician``)."""
    auth = request.authorization
    if not password_hash or auth is None or not secrets.compare_digest(auth.username or "", "technician"):
        return False
    try:
        return PasswordHasher().verify(password_hash, auth.password or "")
    except VerificationError:
        return False


class RecentErrors(logging.Handler):
    """The last warnings and errors, redacted, for the admin page (memory only)."""

    def __init__(self, size: int = 50) -> None:
        super().__init__(logging.WARNING)
        self.records: collections.deque[dict[str, str]] = collections.deque(maxlen=size)
        self.addFilter(RedactionFilter())
        self._guard = threading.Lock()

    def close(self) -> None:
        logging.getLogger().removeHandler(self)
        super().close()

    def emit(self, record: logging.LogRecord) -> None:
        with self._guard:
            self.records.appendleft({
                "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage(),
            })  # fmt: skip


def _shown_config(settings: Settings) -> dict[str, Any]:
    data = settings.model_dump(mode="json")
    for section in ("kiosk", "clerk", "sandbox"):
        data.get(section, {}).pop("admin_password_hash", None)
    return data


def admin_blueprint(
    service: str,
    settings: Settings,
    device_states: Callable[[], dict[str, dict[str, object]]],
    password_hash: str,
    actions: dict[str, Action],
) -> Blueprint:
    bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
    errors = RecentErrors()
    bp.record_once(lambda state: on_close(state.app, errors))
    logging.getLogger().addHandler(errors)

    @bp.before_request
    def _technicians_only() -> Response | None:
        if not password_hash:
            return Response("admin page disabled (no admin_password_hash in config)", 404)
        if not is_technician(password_hash):
            return Response(
                "technician login required", 401, {"WWW-Authenticate": 'Basic realm="MyData Counter admin"'}
            )
        if request.method == "POST" and request.headers.get("X-Requested-With") != "admin":
            # Browsers resend Basic credentials by themselves; a custom header cannot be sent cross-site.
            return Response("missing X-Requested-With: admin", 403)
        return None

    @bp.get("/")
    def page() -> str:
        return render_template(
            "admin.html",
            service=service,
            devices=device_states(),
            config=_shown_config(settings),
            errors=list(errors.records),
            actions=sorted(actions),
        )

    @bp.get("/status")
    def status() -> Response:
        return jsonify({"service": service, "devices": device_states(), "errors": list(errors.records)})

    @bp.post("/action/<name>")
    def action(name: str) -> Response | tuple[Response, int]:
        if name not in actions:
            return jsonify({"error": "unknown action"}), 404
        try:
            return jsonify({"ok": True, **actions[name]()})
        except Exception as exc:  # a device test's failure is the technician's information
            logging.getLogger(__name__).warning("admin action %s failed: %s", name, type(exc).__name__)
            message = exc.bilingual() if hasattr(exc, "bilingual") else type(exc).__name__
            return jsonify({"ok": False, "error": message}), 200

    return bp
