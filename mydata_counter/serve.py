"""Serve a Flask(-SocketIO) app with gunicorn's gthread worker (WebSocket via simple-websocket).

One worker process (Socket.IO state and kiosk sessions live in its memory), many threads.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

log = logging.getLogger(__name__)


def _notify_ready(_server: Any) -> None:
    try:
        import sdnotify

        sdnotify.SystemdNotifier().notify("READY=1")
    except Exception:  # not under systemd: nothing to tell
        pass


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._app


def serve(app: Flask, host: str, port: int, threads: int = 16) -> None:
    """Block serving ``app`` until SIGINT/SIGTERM."""
    options = {
        "bind": f"{host}:{port}",
        "workers": 1,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 0,  # long-lived WebSocket connections must not be killed as "stuck" workers
        "graceful_timeout": 5,
        "keepalive": 5,
        "accesslog": None,  # access lines would carry paths; we log events instead
        "errorlog": "-",
        "loglevel": "warning",
        "when_ready": _notify_ready,
        "proc_name": f"mydata-counter:{app.name}",
    }
    log.info("serving %s on http://%s:%d", app.name, host, port)
    _Server(app, options).run()
