"""Pieces every web app shares: /healthz, static files, no-store caching, error bodies, Socket.IO events,
closing the app's service when the worker exits."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from flask import Blueprint, Flask, Response, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from counter_core import __version__
from counter_core.errors import CounterError
from counter_core.i18n import languages
from counter_core.settings import ServiceSettings, Settings


def _static_dir() -> Path:
    """The shared browser assets: ``static/`` beside the packages in a checkout; in the Debian package, where
    the packages live in a virtual environment's site-packages, ``share/mydata-counter/static`` of that
    environment (``deploy/debian/build.py`` puts it there)."""
    beside = Path(__file__).resolve().parent.parent / "static"
    return beside if beside.is_dir() else Path(sys.prefix) / "share" / "mydata-counter" / "static"


STATIC_DIR = _static_dir()

DeviceStates = Callable[[], dict[str, dict[str, object]]]


def health_blueprint(service: str, device_states: DeviceStates | None = None) -> Blueprint:
    """/healthz (status, version, device states) and /metrics (Prometheus: the shared series, and the device,
    disk and certificate gauges read at the scrape, ``counter_web.station_metrics``) for one service."""
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
        from flask import current_app
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        from counter_core.metrics import REGISTRY
        from counter_web.station_metrics import scrape

        settings = current_app.extensions.get("mydata.settings")
        station = scrape(service, device_states, settings if isinstance(settings, Settings) else None)
        return Response(station + generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)

    return bp


def secret_key(settings: ServiceSettings) -> bytes:
    """The session-signing key from its file, or a fresh random one (sessions die with the process)."""
    if settings.secret_key_file is not None:
        return settings.secret_key_file.read_bytes().strip()
    return secrets.token_bytes(32)


# No inline script or style anywhere (page config travels as JSON data); no framing; same-origin only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
MAX_BODY_BYTES = 64 * 1024  # every request body the terminals and the sandbox take is small JSON or a form


class _BoundedJSON(DefaultJSONProvider):
    """JSON nested deeper than the parser's recursion limit is a client error (400), not a 500."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def new_flask_app(import_name: str, settings: ServiceSettings, max_body_bytes: int = MAX_BODY_BYTES) -> Flask:
    app = Flask(import_name, static_folder=str(STATIC_DIR), static_url_path="/static")
    app.json = _BoundedJSON(app)
    app.config["SECRET_KEY"] = secret_key(settings)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    # Werkzeug refuses a body over the limit (413) from its Content-Length, before anything reads it.
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes
    app.config["MAX_FORM_MEMORY_SIZE"] = max_body_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    @app.before_request
    def _body_limit() -> None:
        """Refuse a declared body over the limit before any work, whatever the route reads (a chunked body is
        cut at the limit as it is read)."""
        if (request.content_length or 0) > max_body_bytes:
            raise RequestEntityTooLarge()

    @app.after_request
    def _headers(response: Response) -> Response:
        # Pages may show personal data: never cache anything but the vendored/static assets.
        if not response.headers.get("Cache-Control"):
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # The page's own address goes only to its own server: flask-wtf's CSRF check over HTTPS needs it.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response | HTTPException:
        """A refused request to an API gets a JSON error a page can show (413: too large, 400: not JSON)."""
        if not request.path.startswith("/api/") and error.code != 413:
            return error
        key = {400: "web.bad_request", 413: "web.too_large", 405: "web.bad_method", 404: "web.not_found"}
        name = "web.csrf" if "CSRF" in (error.description or "") else key.get(error.code or 500, "error.unexpected")
        response = jsonify(error_body(CounterError(name)))
        response.status_code = error.code or 500
        return response

    return app


MEMBERS = "members"  # the room of every socket that proved who it is: device-wide facts go there
SOCKET_BUFFER_BYTES = 16 * 1024  # no page sends more than a token over the socket


def new_socketio(app: Flask) -> Any:
    """Flask-SocketIO in threading mode with a small message limit: pages only listen, and say ``join``."""
    from flask_socketio import SocketIO

    return SocketIO(app, async_mode="threading", max_http_buffer_size=SOCKET_BUFFER_BYTES)


def register_socket(
    socketio: Any,
    service: str,
    member: Callable[[], str | None],
    join: Callable[[str], str | None] | None = None,
) -> None:
    """Who a socket is decides what it hears. On connect, ``member()`` (reading the session cookie the
    handshake carried) names the socket's own room — a clerk login, a kiosk session — or None: an anonymous
    socket gets the greeting and nothing else. ``join(token)`` lets a page that started a session after it
    connected (the kiosk) move into that session's room; it leaves any room it was in before."""
    from flask import request
    from flask_socketio import emit, join_room, leave_room, rooms

    @socketio.on("connect")  # type: ignore[untyped-decorator]
    def _hello(_auth: object = None) -> None:
        room = member()
        if room is not None:
            join_room(room)
            join_room(MEMBERS)
        emit("hello", {"service": service, "version": __version__, "joined": room is not None})

    if join is None:
        return

    @socketio.on("join")  # type: ignore[untyped-decorator]
    def _join(data: object = None) -> dict[str, bool]:
        token = data.get("token") if isinstance(data, dict) else None
        room = join(token) if isinstance(token, str) and 0 < len(token) <= 128 else None
        if room is None:
            return {"joined": False}
        sid = getattr(request, "sid", "")
        for other in rooms():
            if other not in (sid, room):
                leave_room(other)
        join_room(room)
        join_room(MEMBERS)
        return {"joined": True}


def error_body(error: CounterError) -> dict[str, Any]:
    """How an error travels to a page: its key, its text in every language, its parameters."""
    params = {k: v for k, v in error.params.items() if isinstance(v, str | int)}
    # Language maps (a dataset's name …) fill the message in each language; the page gets plain values only. The
    # error's own text: a few only the broker can fill (``IdentityNotAllowed`` names the dataset it refused).
    message = {language: error.message(language) for language in languages()}
    return {"error": error.key, "message": message, "params": params}


class SocketEvents:
    """The services' event sink (``counter_core.events.EventSink``) on Flask-SocketIO: an event for one
    session or login goes to its room only; a device-wide fact to the sockets that proved who they are."""

    def __init__(self, socketio: Any) -> None:
        self.socketio = socketio

    def __call__(self, event: str, payload: dict[str, Any], to: str | None = None) -> None:
        self.socketio.emit(event, payload, to=to or MEMBERS)


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
