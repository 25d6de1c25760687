"""Start a service (``mydata-counter sandbox|kiosk|clerk``) as a child process on a free port.

Used by ``demo``-style tooling, benchmarks and test fixtures: real processes, real HTTP.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import tomli_w

from counter_core.settings import Settings


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _drop_none(item) for key, item in value.items() if item is not None}
    return value


def write_config(settings: Settings, path: Path) -> Path:
    """Write ``settings`` as a TOML config file that loads back to the same settings."""
    path.write_text(tomli_w.dumps(_drop_none(settings.model_dump(mode="json"))), encoding="utf-8")
    return path


def wait_healthy(url: str, process: subprocess.Popen[Any], timeout_s: float = 30.0, verify: bool | str = True) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"service at {url} exited with status {process.returncode} while starting")
        try:
            if requests.get(f"{url}/healthz", timeout=1, verify=verify).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"service at {url} did not answer /healthz within {timeout_s:g} s")


LOG_DIR_VARIABLE = "MYDATA_COUNTER_TEST_LOG_DIR"  # set by the test suite only


def _log_dir_from_environment() -> Path | None:
    value = os.environ.get(LOG_DIR_VARIABLE)
    return Path(value) if value else None


@contextmanager
def running_service(
    service: str,
    settings: Settings,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 30.0,
    log_dir: Path | None = None,
) -> Iterator[str]:
    """Run ``mydata-counter <service>`` with ``settings`` on ``port`` (free if None); yield its URL.

    With ``log_dir`` the service's stderr (its log) and stdout are kept there as ``<service>-<port>.log``
    — the test suite collects them so a scan can prove no personal data reaches the logs or the console.
    """
    port = port or free_port()
    log_dir = log_dir or _log_dir_from_environment()
    with tempfile.TemporaryDirectory(prefix=f"mydata-{service}-") as tmp, contextlib.ExitStack() as stack:
        config = write_config(settings, Path(tmp) / "config.toml")
        child_env = {**os.environ, **(env or {})}
        stderr = None
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)
            stderr = stack.enter_context((log_dir / f"{service}-{port}.log").open("ab"))
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mydata_counter.cli",
                service,
                "--config",
                str(config),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=child_env,
            stdout=stderr,
            stderr=stderr,
        )
        section = getattr(settings, service)
        url = f"{section.scheme}://127.0.0.1:{port}"
        try:
            # Over HTTPS the tools give the service a certificate for 127.0.0.1 that is its own trust anchor.
            wait_healthy(url, process, timeout_s, verify=str(section.tls_cert_file or "") or True)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
