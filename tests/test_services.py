"""Each service answers /healthz over real HTTP; the demo starts all three and stops cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from counter_core.settings import Settings
from mydata_counter.servicerunner import free_port, wait_healthy, write_config


def test_kiosk_healthz_reports_version_and_its_devices(kiosk_url: str) -> None:
    response = requests.get(f"{kiosk_url}/healthz", timeout=5)
    assert response.status_code == 200
    body = response.json()
    assert body["service"] == "kiosk"
    assert body["status"] in ("ok", "degraded")
    assert body["version"]
    assert set(body["devices"]) == {"reader", "printer"}
    for state in body["devices"].values():
        assert state["state"] in ("ok", "warn", "fail", "off")
        assert state["message_key"]


def test_clerk_healthz_reports_camera_and_decoder(clerk_url: str) -> None:
    body = requests.get(f"{clerk_url}/healthz", timeout=5).json()
    assert body["service"] == "clerk"
    assert set(body["devices"]) == {"camera", "decoder"}


def test_sandbox_healthz(sandbox_url: str) -> None:
    body = requests.get(f"{sandbox_url}/healthz", timeout=5).json()
    assert body["service"] == "sandbox"
    assert body["status"] == "ok"


def test_pages_are_never_cached(kiosk_url: str) -> None:
    response = requests.get(f"{kiosk_url}/", timeout=5)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_vendored_socketio_client_is_served(kiosk_url: str) -> None:
    response = requests.get(f"{kiosk_url}/static/vendor/socket.io.min.js", timeout=5)
    assert response.status_code == 200
    assert "Socket.IO" in response.text[:400] or "socket.io" in response.text[:400].lower()


def test_served_by_gunicorn_not_the_development_server(kiosk_url: str) -> None:
    response = requests.get(f"{kiosk_url}/healthz", timeout=5)
    assert "gunicorn" in response.headers.get("Server", "").lower()


def _demo_settings_on_free_ports(settings: Settings) -> Settings:
    data = settings.model_dump()
    for service in ("sandbox", "kiosk", "clerk"):
        data[service]["port"] = free_port()
    data["broker"]["url"] = f"http://127.0.0.1:{data['sandbox']['port']}"
    return Settings(**data)


def _port_open(port: int) -> bool:
    try:
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
    except requests.ConnectionError:
        return False
    return True


def test_demo_serves_all_three_and_ctrl_c_stops_them(demo_settings: Settings, tmp_path: Path) -> None:
    settings = _demo_settings_on_free_ports(demo_settings)
    config = write_config(settings, tmp_path / "demo.toml")
    demo = subprocess.Popen(
        [sys.executable, "-m", "mydata_counter.cli", "demo", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for service in ("sandbox", "kiosk", "clerk"):
            wait_healthy(f"http://127.0.0.1:{getattr(settings, service).port}", demo, timeout_s=60)
        demo.send_signal(signal.SIGINT)
        output, _ = demo.communicate(timeout=30)
    finally:
        if demo.poll() is None:
            demo.kill()
    assert demo.returncode == 0, output
    for service in ("sandbox", "kiosk", "clerk"):
        assert f"http://127.0.0.1:{getattr(settings, service).port}/" in output
    assert "Demo stopped" in output
    time.sleep(0.2)
    assert not any(_port_open(getattr(settings, s).port) for s in ("sandbox", "kiosk", "clerk"))
