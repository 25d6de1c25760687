"""The technician's admin page (``/admin`` on kiosk and clerk): device status, config (validated, secrets
hidden), recent errors (redacted), and device tests — print a test receipt, list card readers, watch the
camera. HTTP Basic auth against an argon2 hash in config; no hash, no admin page.

The page is offered only to the networks in ``admin_from`` (loopback by default: a technician on site uses
the station itself or an SSH tunnel). Wrong passwords are limited per client address and in all, and one
argon2 check runs at a time, so a flood of guesses neither finds the password nor freezes the station."""

from __future__ import annotations

import collections
import ipaddress
import logging
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from flask import Blueprint, Response, jsonify, render_template, request

from counter_core.clock import Clock
from counter_core.limits import AttemptLimiter
from counter_core.redaction import RedactionFilter
from counter_core.settings import Settings
from counter_web.base import on_close

Action = Callable[[], dict[str, Any]]


TECHNICIAN = "technician"
PER_CLIENT = (5, 300.0)  # wrong passwords per client address in seconds
IN_ALL = (30, 300.0)  # wrong passwords from anywhere in seconds: a spread-out guesser
REALM = {"WWW-Authenticate": 'Basic realm="MyData Counter admin"'}


def technician_hasher() -> PasswordHasher:
    """argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane): a check costs ~20 ms and 19 MiB, not 64 MiB."""
    return PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


class TechnicianGate:
    def __init__(self, password_hash: str, allowed: list[str], clock: Clock | None = None) -> None:
        self.password_hash = password_hash
        self.networks = [ipaddress.ip_network(n, strict=False) for n in allowed]
        self.per_client = AttemptLimiter(*PER_CLIENT, clock=clock)
        self.in_all = AttemptLimiter(*IN_ALL, clock=clock)
        self._checking = threading.BoundedSemaphore(1)
        self._hasher = PasswordHasher()  # verifies whatever parameters the stored hash carries

    def reachable(self) -> bool:
        """Whether this client may see the admin page at all (its address is in ``admin_from``)."""
        try:
            address = ipaddress.ip_address(request.remote_addr or "")
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def refusal(self) -> Response | None:
        """None for the technician; else the answer: 404 (not offered here), 429 (limited), 401 (log in)."""
        if not self.password_hash or not self.reachable():
            return Response("not found", 404)
        client = request.remote_addr or "?"
        block = self.per_client.blocked(client) or self.in_all.blocked("*")
        if block is not None:
            return Response("too many wrong passwords; wait", 429, {"Retry-After": str(block.retry_after_s)})
        auth = request.authorization
        if auth is None or not secrets.compare_digest(auth.username or "", TECHNICIAN):
            return Response("technician login required", 401, REALM)
        if not self._checking.acquire(blocking=False):  # one argon2 check at a time, the rest wait outside
            return Response("busy; try again", 429, {"Retry-After": "1"})
        try:
            self._hasher.verify(self.password_hash, auth.password or "")
        except VerificationError:
            self.per_client.record(client)
            self.in_all.record("*")
            return Response("technician login required", 401, REALM)
        finally:
            self._checking.release()
        self.per_client.forget(client)
        return None

    def allows(self) -> bool:
        return self.refusal() is None


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
    gate: TechnicianGate,
    actions: dict[str, Action],
) -> Blueprint:
    bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
    errors = RecentErrors()
    bp.record_once(lambda state: on_close(state.app, errors))
    logging.getLogger().addHandler(errors)

    @bp.before_request
    def _technicians_only() -> Response | None:
        refusal = gate.refusal()
        if refusal is not None:
            return refusal
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
