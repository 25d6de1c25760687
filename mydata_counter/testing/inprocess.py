"""The in-process tier for tests: an app served on a loopback port by a thread of the test process (real
HTTP, no child process), and the sandbox broker run that way, so kiosk and clerk API tests build their app
with ``create_app(settings, devices, broker)`` and drive it with ``app.test_client()`` in milliseconds."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from counter_core.settings import Settings
from counter_web.base import close_app
from mydata_counter.testing import wait_for

IN_PROCESS_LOG = "in-process.log"  # the in-process apps' log in the suite's log folder, scanned for personal data


def keep_log(folder: Path) -> None:
    """Write what in-process apps log to ``folder`` (as the child services' logs are), for the PII scan;
    request lines stay out, as gunicorn's access log does."""
    handler = logging.FileHandler(folder / IN_PROCESS_LOG, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.INFO, logging.INFO))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


@contextmanager
def serving(app: Flask, port: int = 0) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1:``port`` (0: a free one) from a thread; yield its URL."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name=f"serve-{app.name}")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def sandbox_in_thread(settings: Settings) -> Iterator[Flask]:
    """The sandbox broker of ``settings`` (see ``testing.sandbox.sandbox_settings``) on its own port."""
    from broker_sandbox import create_app

    app = create_app(settings)
    try:
        with serving(app, settings.sandbox.port):
            yield app
    finally:
        close_app(app)
        app.extensions["mydata.sandbox"]["outbox"].close()


class PageClient:
    """An app's page as a test drives it: the Flask test client for HTTP, the Socket.IO test client (sharing
    its cookies) for the events the page receives."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()
        self.socket = app.extensions["mydata.socketio"].test_client(app, flask_test_client=self.client)
        self.received: list[dict[str, Any]] = []

    def events(self, name: str) -> list[dict[str, Any]]:
        """Every ``name`` event the page has received so far."""
        self.received.extend(self.socket.get_received())
        return [e["args"][0] for e in self.received if e["name"] == name]

    def wait_event(self, name: str, timeout_s: float = 5.0) -> dict[str, Any]:
        """The first ``name`` event, waiting for it to arrive (device and watcher threads send them)."""
        if not wait_for(lambda: bool(self.events(name)), timeout_s):
            raise AssertionError(f"no {name!r} event within {timeout_s} s")
        return self.events(name)[0]

    @staticmethod
    def answer(response: Any) -> dict[str, Any]:
        """A JSON answer as a dict, with the HTTP status added as ``status``."""
        body = response.get_json(silent=True)
        return {**(body if isinstance(body, dict) else {}), "status": response.status_code}

    def reconnect(self) -> None:
        """Connect the socket again, with the cookies the page has now (a page loaded after a login)."""
        self.socket.disconnect()
        self.socket.connect()
        self.received.clear()

    def close(self) -> None:
        if self.socket.is_connected():
            self.socket.disconnect()
        close_app(self.app)
