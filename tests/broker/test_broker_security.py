"""Unsigned, unknown-key, stale, replayed and tampered requests are refused with 401 and a reason;
the audit chain detects an edited row."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from broker_client import BrokerClient
from broker_client.signing import RequestSigner, load_private_key
from counter_core.settings import Settings
from mydata_counter.servicerunner import write_config
from mydata_counter.testing.sandbox import citizens, issue_code


def _signed(
    settings: Settings,
    key: Ed25519PrivateKey | None = None,
    terminal: str | None = None,
    created: datetime | None = None,
) -> requests.PreparedRequest:
    request = requests.Request("GET", f"{settings.broker.url}/api/v1/catalogue").prepare()
    signer = RequestSigner(terminal or settings.broker.terminal_id, key or load_private_key(settings.broker.key_file))  # type: ignore[arg-type]
    if created is None:
        return signer(request)
    signer._signer.sign(
        request,
        key_id=signer.terminal_id,
        nonce="n-" + created.isoformat(),
        body=b"",
        created=created,
        covered_component_ids=("@method", "@authority", "@target-uri"),
    )
    return request


def _reason(response: requests.Response) -> str:
    assert response.status_code == 401
    return str(response.json()["message"]["en"])


def test_unsigned_request_is_refused(broker: tuple[Settings, str]) -> None:
    assert "unsigned" in _reason(requests.get(f"{broker[1]}/api/v1/catalogue", timeout=5))


def test_signed_request_is_accepted_and_its_replay_refused(broker: tuple[Settings, str]) -> None:
    request = _signed(broker[0])
    with requests.Session() as session:
        assert session.send(request, timeout=5).status_code == 200
        assert "replayed" in _reason(session.send(request, timeout=5))


def test_unknown_terminal_and_wrong_key_are_refused(broker: tuple[Settings, str]) -> None:
    with requests.Session() as session:
        assert "unknown terminal" in _reason(session.send(_signed(broker[0], terminal="intruder-01"), timeout=5))
        assert "invalid" in _reason(session.send(_signed(broker[0], key=Ed25519PrivateKey.generate()), timeout=5))


def test_stale_signature_is_refused(broker: tuple[Settings, str]) -> None:
    old = datetime.now(UTC) - timedelta(seconds=120)
    with requests.Session() as session:
        assert "stale" in _reason(session.send(_signed(broker[0], created=old), timeout=5))


def test_clock_skew_within_the_window_is_accepted_and_a_future_date_refused(broker: tuple[Settings, str]) -> None:
    now = datetime.now(UTC)
    with requests.Session() as session:
        for skew_s in (-30, 3):  # a terminal clock a little behind or ahead still works
            assert session.send(_signed(broker[0], created=now + timedelta(seconds=skew_s)), timeout=5).ok
        future = _signed(broker[0], created=now + timedelta(seconds=120))
        assert "stale or future-dated" in _reason(session.send(future, timeout=5))


def test_tampered_body_is_refused(broker: tuple[Settings, str]) -> None:
    settings = broker[0]
    request = requests.Request(
        "POST", f"{settings.broker.url}/api/v1/kiosk/sessions", json={"service_id": "hualien-disabled-parking"}
    ).prepare()
    RequestSigner(settings.broker.terminal_id, load_private_key(settings.broker.key_file))(request)  # type: ignore[arg-type]
    request.body = b'{"service_id": "bli-unemployment"}'
    request.headers["Content-Length"] = str(len(request.body))
    with requests.Session() as session:
        assert "digest" in _reason(session.send(request, timeout=5))


def test_audit_verify_passes_then_catches_an_edited_row(broker: tuple[Settings, str], tmp_path: Path) -> None:
    settings = broker[0]
    client = BrokerClient(settings.broker)
    clerk = client.clerk_login("clerk-hualien", "hualien-demo")
    client.redeem(clerk.token, issue_code(client, settings, citizens(settings)[60]).code)
    config = write_config(settings, tmp_path / "config.toml")
    command = [sys.executable, "-m", "mydata_counter.cli", "sandbox", "--config", str(config), "audit-verify"]
    ok = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "chain intact" in ok.stdout
    with sqlite3.connect(settings.sandbox.database) as db:
        seq = db.execute("SELECT seq FROM audit WHERE event = 'code.redeemed' LIMIT 1").fetchone()[0]
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("UPDATE audit SET clerk = 'someone-else' WHERE seq = ?", [seq])
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("DELETE FROM audit WHERE seq = ?", [seq])
        db.execute("DROP TRIGGER audit_append_only_update")  # someone with the file can: the chain tells
        db.execute("UPDATE audit SET clerk = 'someone-else' WHERE seq = ?", [seq])
    bad = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert bad.returncode == 1
    assert f"record {seq}" in bad.stderr and "edited" in bad.stderr


def test_audit_holds_no_personal_values(broker: tuple[Settings, str]) -> None:
    settings = broker[0]
    people = citizens(settings)
    with sqlite3.connect(settings.sandbox.database) as db:
        rows = " ".join(" ".join(map(str, row)) for row in db.execute("SELECT * FROM audit"))
    assert rows
    for citizen in people[:80]:
        assert citizen.national_id not in rows and citizen.name not in rows
