"""The technician's door (/admin, and the clerk's camera preview for a technician): offered only to the
configured networks, wrong passwords limited per client address and in all, one argon2 check at a time —
so a flood of guesses neither finds the password nor freezes the station (it froze for 21 s and took
1.16 GB with 64 concurrent guesses at 64 MiB each). In-process: the kiosk app's test client."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from counter_core.clock import AdjustableClock
from counter_core.settings import Settings, load_settings
from counter_web.admin import IN_ALL, PER_CLIENT, TechnicianGate, technician_hasher
from counter_web.base import close_app
from hardware.cards.simulated import SimulatedReader
from hardware.printer.simulated import SimulatedPrinter
from kiosk import create_app
from kiosk.devices import KioskDevices

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


def _auth(password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"technician:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def password_hash() -> str:
    return technician_hasher().hash(PASSWORD)


@pytest.fixture
def app(tmp_path: Path, password_hash: str) -> Iterator[Flask]:
    data = load_settings(ROOT / "config" / "demo.toml").model_dump()
    data["kiosk"].update({"admin_password_hash": password_hash, "admin_from": ["127.0.0.0/8", "10.9.0.0/16"]})
    settings = Settings(**data)
    devices = KioskDevices(SimulatedReader(settings.devices.reader), SimulatedPrinter(settings.devices.printer, 0))
    kiosk = create_app(settings, devices)
    try:
        yield kiosk
    finally:
        close_app(kiosk)


def _get(app: Flask, password: str, address: str = "127.0.0.1") -> int:
    return (
        app.test_client()
        .get("/admin/status", headers=_auth(password), environ_base={"REMOTE_ADDR": address})
        .status_code
    )


def test_the_page_is_not_offered_outside_the_configured_networks(app: Flask) -> None:
    assert _get(app, PASSWORD, "192.168.1.20") == 404
    assert _get(app, PASSWORD, "10.9.3.4") == 200 and _get(app, PASSWORD) == 200


def test_wrong_passwords_are_limited_per_client_and_another_client_is_not_locked_out(app: Flask) -> None:
    burst = PER_CLIENT[0]
    assert [_get(app, f"guess-{i}", "10.9.0.66") for i in range(burst)] == [401] * burst
    response = app.test_client().get(
        "/admin/status", headers=_auth(PASSWORD), environ_base={"REMOTE_ADDR": "10.9.0.66"}
    )
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0  # even the right one waits
    assert _get(app, PASSWORD, "10.9.0.67") == 200  # a technician elsewhere is not locked out


def test_the_window_frees_after_its_time_and_a_spread_out_guesser_is_stopped_in_all(password_hash: str) -> None:
    clock = AdjustableClock()
    gate = TechnicianGate(password_hash, ["0.0.0.0/0"], clock=clock)
    host = Flask("gate")
    with host.test_request_context("/admin", headers=_auth("nope"), environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        for _ in range(PER_CLIENT[0]):
            assert gate.refusal().status_code == 401  # type: ignore[union-attr]
        assert gate.refusal().status_code == 429  # type: ignore[union-attr]
        clock.advance(PER_CLIENT[1] + 1)
        assert gate.refusal().status_code == 401  # type: ignore[union-attr]
    for n in range(IN_ALL[0]):  # one guess each from many addresses
        with host.test_request_context(
            "/admin", headers=_auth("x"), environ_base={"REMOTE_ADDR": f"10.1.{n // 250}.{n % 250}"}
        ):
            gate.refusal()
    with host.test_request_context("/admin", headers=_auth(PASSWORD), environ_base={"REMOTE_ADDR": "10.2.0.1"}):
        assert gate.refusal().status_code == 429  # type: ignore[union-attr]


def test_a_flood_of_concurrent_guesses_runs_one_password_check_at_a_time(app: Flask) -> None:
    statuses: list[int] = []
    start = threading.Barrier(24)

    def guess(n: int) -> None:
        start.wait()
        statuses.append(_get(app, f"flood-{n}", f"10.9.1.{n}"))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(statuses) <= {401, 429} and statuses.count(429) > 0  # the rest were told to wait, not queued
    assert _get(app, PASSWORD, "10.9.2.1") == 200


def test_admin_hash_uses_the_bounded_argon2_parameters(password_hash: str) -> None:
    assert password_hash.startswith("$argon2id$") and "m=19456,t=2,p=1" in password_hash
