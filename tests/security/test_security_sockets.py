"""Socket.IO on a hostile LAN, over real HTTP and Socket.IO against the services as they run: a socket that
never logged in hears the greeting and nothing else, even while the camera reads a citizen's code; each clerk
login and each kiosk session hears only its own events (another page's purge or phone approval never
reaches it)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
import socketio
from PIL import Image

from broker_client import BrokerClient
from counter_core.settings import Settings, load_settings
from hardware.printer.receipt import sample_receipt
from hardware.printer.render_raster import render_receipt_image
from mydata_counter.servicerunner import running_service
from mydata_counter.testing import wait_for
from mydata_counter.testing.sandbox import citizens, issue_code, running_sandbox, sandbox_settings

ROOT = Path(__file__).resolve().parents[2]


class Listener:
    """A Socket.IO client (polling, like any script on the LAN could open) that keeps what it hears."""

    def __init__(self, url: str, http: requests.Session | None = None) -> None:
        self.heard: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        self.client = socketio.Client(http_session=http or requests.Session(), reconnection=False)
        self.client.on("*", self._keep)
        self.client.connect(url, transports=["polling"], wait_timeout=10)

    def _keep(self, event: str, data: Any = None) -> None:
        with self._lock:
            self.heard.append((event, data))

    def names(self) -> list[str]:
        with self._lock:
            return [name for name, _ in self.heard]

    def close(self) -> None:
        self.client.disconnect()


def _clerk_login(url: str, user: str = "clerk-hualien", password: str = "hualien-demo") -> tuple[requests.Session, str]:
    http = requests.Session()
    form = http.get(f"{url}/login", timeout=5).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    response = http.post(f"{url}/login", data={"username": user, "password": password, "csrf_token": token.group(1)})
    assert response.ok and "/login" not in response.url
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', response.text)
    assert csrf is not None
    return http, csrf.group(1)


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, str, str]]:
    """A sandbox and a clerk station whose camera (an image folder) sees a receipt all the time."""
    folder = tmp_path_factory.mktemp("sockets")
    settings = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), folder)
    with running_sandbox(settings):
        code = issue_code(BrokerClient(settings.broker), settings, citizens(settings)[200]).code
        camera = folder / "camera"
        camera.mkdir()
        receipt = np.asarray(
            render_receipt_image(sample_receipt(datetime(2026, 11, 24, 16, 40), code), 576).convert("L")
        )
        desk = np.full((720, 1280), 150, np.uint8)
        desk[40 : 40 + min(640, receipt.shape[0]), 350 : 350 + 576] = receipt[:640]
        Image.fromarray(desk).save(camera / "receipt.png")
        data = settings.model_dump()
        data["devices"]["camera"].update({"driver": "real", "source": str(camera), "fps": 5})
        data["clerk"].update({"purge_after_s": 600})
        with running_service("clerk", Settings(**data)) as url:
            yield settings, url, code


def test_an_anonymous_socket_hears_the_greeting_and_nothing_else(station: tuple[Settings, str, str]) -> None:
    _, url, code = station
    anonymous = Listener(url)
    try:
        http, _ = _clerk_login(url)
        clerk = Listener(url, http)
        try:
            assert wait_for(lambda: "code_found" in clerk.names(), 15)  # the camera reads the receipt
            time.sleep(1.0)  # and keeps reading it, for the clerk only
            assert anonymous.names() == ["hello"], anonymous.heard
            assert anonymous.heard[0][1]["joined"] is False
            assert all(code not in repr(data) for _, data in anonymous.heard)
        finally:
            clerk.close()
    finally:
        anonymous.close()


def test_one_clerks_purge_timer_leaves_another_clerks_screen(station: tuple[Settings, str, str]) -> None:
    settings, _, _ = station
    data = settings.model_dump()
    data["clerk"].update({"purge_after_s": 4})
    broker = BrokerClient(settings.broker)
    with running_service("clerk", Settings(**data)) as url:
        clerks = []
        for index in (204, 205):
            http, csrf = _clerk_login(url)
            listener = Listener(url, http)
            code = issue_code(broker, settings, citizens(settings)[index]).code
            shown = http.post(f"{url}/api/redeem", json={"code": code}, headers={"X-CSRFToken": csrf}, timeout=10)
            assert shown.ok, shown.text
            clerks.append((http, listener))
            time.sleep(2.5)  # the second clerk's record comes later: its purge is due later
        (first, first_socket), (second, second_socket) = clerks
        try:
            assert wait_for(lambda: "purged" in first_socket.names(), 5)
            assert first.get(f"{url}/api/viewing", timeout=5).json() == {"viewing": False}
            assert "purged" not in second_socket.names()  # the first clerk's timer is not the second's
            assert second.get(f"{url}/api/viewing", timeout=5).json() == {"viewing": True}
            assert wait_for(lambda: "purged" in second_socket.names(), 5)  # then its own timer ends it
        finally:
            first_socket.close()
            second_socket.close()


def test_a_kiosk_sessions_phone_approval_reaches_only_its_own_page(tmp_path: Path) -> None:
    settings = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), tmp_path, push_ttl_s=30)
    with running_sandbox(settings) as broker_url, running_service("kiosk", settings) as url:
        pages = []
        for _ in range(2):
            http = requests.Session()
            started = http.post(f"{url}/api/start", json={"language": "zh-TW"}, timeout=5).json()
            listener = Listener(url, http)
            listener.client.call("join", {"token": started["socket_token"]}, timeout=5)
            http.post(f"{url}/api/service", json={"service_id": "hualien-disabled-parking"}, timeout=5)
            http.post(f"{url}/api/consent", json={"accepted": True, "shown": "scrolled"}, timeout=5).raise_for_status()
            pages.append((http, listener))
        stranger = Listener(url)
        assert stranger.client.call("join", {"token": "guessed-" + "x" * 24}, timeout=5) == {"joined": False}
        try:
            citizen = citizens(settings)[203]
            (mine, my_socket), (_, other_socket) = pages
            started = mine.post(
                f"{url}/api/identity/mobile", json={"national_id": citizen.national_id}, timeout=5
            ).json()
            pushes = requests.get(f"{broker_url}/phone/{citizen.national_id}/pushes", timeout=5).json()["pushes"]
            answer = {"action": "approve", "choice": started["match_number"]}
            requests.post(
                f"{broker_url}/phone/{citizen.national_id}/pushes/{pushes[0]['push_id']}", json=answer, timeout=5
            )
            assert wait_for(lambda: "push" in my_socket.names(), 10)
            time.sleep(1.0)
            assert "push" not in other_socket.names() and stranger.names() == ["hello"]
        finally:
            for _, listener in pages:
                listener.close()
            stranger.close()
