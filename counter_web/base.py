"""Pieces every web app shares: /healthz, static files, no-store caching, error bodies, Socket.IO events,
closing the app's service when the worker exits."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from flask import Blueprint, Flask, Response, jsonify

from counter_core import __version__
from counter_core.errors import CounterError
from counter_core.i18n import every_language
from counter_core.settings import ServiceSettings

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

DeviceStates = Callable[[], dict[str, dict[str, object]]]


def health_blueprint(service: str, device_states: DeviceStates | None = None) -> Blueprint:
    """/healthz (status, version, device states) and /metrics (Prometheus) for one service."""
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz() -> Response:
        devices = device_states() if device_states else {}
        failing = [name for name, state in devices.items() if state.get("state") == "fail"]
        body = {
            "status": "degraded" if failing else "ok",
            "service": service,
            "version": __version__,
            "devices": devices,
        }
        return jsonify(body)

    @bp.get("/metrics")
    def metrics() -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        from counter_core.metrics import REGISTRY

        return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)

    return bp


def secret_key(settings: ServiceSettings) -> bytes:
    """The session-signing key from its file, or a fresh random one (sessions die with the process)."""
    if settings.secret_key_file is not None:
        return settings.secret_key_file.read_bytes().strip()
    return secrets.token_bytes(32)


def new_flask_app(import_name: str, settings: ServiceSettings) -> Flask:
    app = Flask(import_name, static_folder=str(STATIC_DIR), static_url_path="/static")
    app.config["SECRET_KEY"] = secret_key(settings)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    @app.after_request
    def _no_store(response: Response) -> Response:
        # Pages may show personal data: never cache anything but the vendored/static assets.
        if not response.headers.get("Cache-Control"):
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    return app


def register_hello(socketio: object, service: str) -> None:
    """On connect, tell the page which service and version it talks to (pages show a reconnect
    banner when the connection drops and reload when the version changes)."""
    from flask_socketio import emit

    @socketio.on("connect")  # type: ignore[attr-defined,untyped-decorator]
    def _hello() -> None:
        emit("hello", {"service": service, "version": __version__})


def error_body(error: CounterError) -> dict[str, Any]:
    """How an error travels to a page: its key, its text in every language, its parameters."""
    params = {k: v for k, v in error.params.items() if isinstance(v, str | int)}
    return {"error": error.key, "message": every_language(error.key, **params), "params": params}


class SocketEvents:
    """The services' event sink (``counter_core.events.EventSink``) on Flask-SocketIO."""

    def __init__(self, socketio: Any) -> None:
        self.socketio = socketio

    def __call__(self, event: str, payload: dict[str, Any], to: str | None = None) -> None:
        self.socketio.emit(event, payload)


class Closable(Protocol):
    def close(self) -> None: ...


CLOSE_KEY = "mydata.close"


def on_close(app: Any, service: Closable) -> None:
    """Register what ``close_app`` stops: the service's threads and devices."""
    app.extensions.setdefault(CLOSE_KEY, []).append(service)


def close_app(app: Flask) -> None:
    """Stop what the app's factory started (gunicorn calls it as the worker exits; tests when done)."""
    for service in reversed(app.extensions.pop(CLOSE_KEY, [])):
        service.close()
