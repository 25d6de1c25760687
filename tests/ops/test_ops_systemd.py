"""systemd units verify, are hardened, and the services speak sd_notify (ready + watchdog)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_core.settings import Settings
from mydata_counter.servicerunner import free_port, write_config

ROOT = Path(__file__).resolve().parents[2]
UNITS = ("mydata-counter-kiosk", "mydata-counter-clerk", "mydata-counter-kiosk-browser")

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")


@pytest.fixture(scope="module")
def rendered_units(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("units")
    for unit in UNITS:
        text = (ROOT / "systemd" / f"{unit}.service.in").read_text()
        text = text.replace("@BINDIR@", str(Path(sys.executable).parent)).replace("@DOCDIR@", str(ROOT / "docs"))
        (out / f"{unit}.service").write_text(text)
    return out


def test_units_pass_systemd_analyze_verify(rendered_units: Path) -> None:
    files = [str(rendered_units / f"{unit}.service") for unit in UNITS]
    result = subprocess.run(["systemd-analyze", "verify", *files], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr.lower(), result.stderr


@pytest.mark.parametrize(
    ("unit", "limit"),
    [("mydata-counter-kiosk", 2.0), ("mydata-counter-clerk", 2.0), ("mydata-counter-kiosk-browser", 5.0)],
)
def test_unit_exposure_stays_within_its_limit(rendered_units: Path, unit: str, limit: float) -> None:
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", str(rendered_units / f"{unit}.service")],
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert match, result.stdout[-500:] + result.stderr
    assert float(match.group(1)) <= limit


@pytest.fixture
def notify_socket() -> Iterator[tuple[socket.socket, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(30)
        try:
            yield sock, path
        finally:
            sock.close()


def test_service_reports_ready_and_pings_the_watchdog_while_healthy(
    demo_settings: Settings, tmp_path: Path, notify_socket: tuple[socket.socket, str]
) -> None:
    sock, path = notify_socket
    config = write_config(demo_settings, tmp_path / "config.toml")
    port = free_port()
    env = {**os.environ, "NOTIFY_SOCKET": path, "WATCHDOG_USEC": "600000"}
    process = subprocess.Popen(
        [sys.executable, "-m", "mydata_counter.cli", "kiosk", "--config", str(config), "--port", str(port)],
        env=env,
    )
    try:
        messages: list[str] = []
        while "WATCHDOG=1" not in messages:  # sent only once /healthz answers
            messages.append(sock.recv(256).decode())
        assert messages[0].startswith("READY=1")  # sent by gunicorn's arbiter
    finally:
        process.terminate()
        process.wait(timeout=15)
