"""Running ``hw doctor`` as a technician does (a process, ``--json``), and a stand-in broker for answers the
sandbox cannot be made to give (a clock that is off, a web server that is not a broker)."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from counter_core.settings import Settings
from mydata_counter.servicerunner import write_config

DOCTOR = (sys.executable, "-m", "mydata_counter.cli", "hw", "doctor")
ME = pwd.getpwuid(os.geteuid()).pw_name  # who owns the keys the tests make


@dataclass
class Report:
    status: int  # exit status
    checks: dict[str, dict[str, str]]
    document: dict[str, Any]
    stdout: str


def run_doctor(
    config: Path, *args: str, env: dict[str, str] | None = None, service_user: str = ME, lang: str = "en"
) -> Report:
    result = subprocess.run(
        [*DOCTOR, "--config", str(config), "--json", "--lang", lang, "--service-user", service_user, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )
    document = json.loads(result.stdout)
    return Report(result.returncode, {c["check"]: c for c in document["checks"]}, document, result.stdout)


def configured(settings: Settings, folder: Path, **broker: Any) -> Path:
    """A config file: ``settings`` with ``broker`` keys replaced."""
    data = settings.model_dump()
    data["broker"].update(broker)
    return write_config(Settings(**data), folder / "config.toml")


Answer = tuple[int, dict[str, Any], dict[str, str]]  # status, JSON body, extra headers


@contextmanager
def stand_in_broker(answer: Callable[[str], Answer], skew_s: float = 0.0) -> Iterator[str]:
    """An HTTP server answering every GET with ``answer(path)``, its Date header ``skew_s`` off this machine's
    clock; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, headers = answer(self.path)
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def date_time_string(self, timestamp: float | None = None) -> str:
            return formatdate(time.time() + skew_s, usegmt=True)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
