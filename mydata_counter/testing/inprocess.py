"""The in-process tier for tests: an app served on a loopback port by a thread of the test process (real
HTTP, no child process), and the sandbox broker run that way, so kiosk and clerk API tests build their app
with ``create_app(settings, devices, broker)`` and drive it with ``app.test_client()`` in milliseconds."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from werkzeug.serving import make_server

from counter_core.settings import Settings
from counter_web.base import close_app

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
