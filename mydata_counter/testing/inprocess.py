"""The in-process tier for tests: an app served on a loopback port by a thread of the test process (real
HTTP, no child process), and the sandbox broker run that way, so kiosk and clerk API tests build their app
with ``create_app(settings, devices, broker)`` and drive it with ``app.test_client()`` in milliseconds."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from werkzeug.serving import make_server

from counter_core.settings import Settings
from counter_web.base import close_app


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
