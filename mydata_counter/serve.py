"""Serve a Flask(-SocketIO) app with gunicorn's gthread worker (WebSocket via simple-websocket).

One worker process (Socket.IO state and kiosk sessions live in its memory), many threads.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import urllib3
from flask import Flask
from gunicorn.app.base import BaseApplication

from counter_web.base import close_app

log = logging.getLogger(__name__)


def _watchdog_loop(notifier: Any, url: str, interval_s: float) -> None:
    """Ping systemd's watchdog only while the worker really answers /healthz: a hung worker
    stops the pings and systemd restarts the service."""
    import requests

    answered_before = False
    while True:
        try:
            # Its own loopback: the certificate names the station's LAN name, not 127.0.0.1.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
                answered = requests.get(url, timeout=interval_s, verify=False).ok
            if answered:
                notifier.notify("WATCHDOG=1")
                answered_before = True
        except requests.RequestException:
            if answered_before:  # before the first answer the worker is still starting
                log.warning("watchdog: /healthz did not answer; not pinging systemd")
        time.sleep(interval_s)


def _make_when_ready(health_url: str) -> Any:
    def when_ready(_server: Any) -> None:
        if not os.environ.get("NOTIFY_SOCKET"):
            return  # not under systemd (Type=notify): nothing to tell
        import sdnotify

        # gunicorn itself sends READY=1 once its arbiter is up; we add the watchdog pings.
        notifier = sdnotify.SystemdNotifier()
        watchdog_usec = int(os.environ.get("WATCHDOG_USEC", "0") or 0)
        if watchdog_usec > 0:
            interval = watchdog_usec / 1_000_000 / 3
            threading.Thread(
                target=_watchdog_loop, args=(notifier, health_url, interval), daemon=True, name="watchdog"
            ).start()

    return when_ready


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, factory: Callable[[], Flask], options: dict[str, Any]) -> None:
        self._factory = factory
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._factory()


def tls_context(config: Any, default_ssl_context_factory: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    context = default_ssl_context_factory()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _loopback(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host


def serve(
    factory: Callable[[], Flask],
    name: str,
    host: str,
    port: int,
    threads: int = 16,
    tls: tuple[Path, Path] | None = None,
) -> None:
    """Serve the app ``factory`` builds, building it in the worker process (after gunicorn forks); with
    ``tls`` (certificate, key) over HTTPS only, TLS 1.2 or newer."""
    scheme = "https" if tls else "http"
    options: dict[str, Any] = {
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
        "when_ready": _make_when_ready(f"{scheme}://{_loopback(host)}:{port}/healthz"),
        "proc_name": f"mydata-counter:{name}",
    }
    if tls is not None:
        options.update({"certfile": str(tls[0]), "keyfile": str(tls[1]), "ssl_context": tls_context})
    built: list[Flask] = []

    def build() -> Flask:
        built.append(factory())
        return built[-1]

    def worker_exit(_arbiter: Any, _worker: Any) -> None:
        """In the worker, after its loop ends (SIGTERM): stop the app's threads and close its devices while
        the interpreter is whole (a decode thread still inside OpenCV at teardown aborts the process)."""
        for app in built:
            close_app(app)

    options["worker_exit"] = worker_exit
    log.info("serving %s on %s://%s:%d", name, scheme, host, port)
    _Server(build, options).run()
