"""`mydata-counter sandbox reset` empties the sandbox's state (first-use records included) but keeps
registered terminals and the demo clerks; the audit chain also catches a deleted record."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import requests
from cryptography.hazmat.primitives.serialization import Encoding

from broker_client import BrokerClient
from broker_sandbox.ca import citizen_credentials, sign_challenge
from counter_core.settings import Settings
from mydata_counter.servicerunner import write_config
from mydata_counter.testing.sandbox import citizens, issue_code


def _sandbox_command(settings: Settings, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = write_config(settings, folder / "config.toml")
    command = [sys.executable, "-m", "mydata_counter.cli", "sandbox", "--config", str(config), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def _moica_only(client: BrokerClient, settings: Settings, national_id: str) -> bool:
    """Whether the MOICA card alone is not enough (first use) for this citizen now."""
    session = client.start_session("hualien-disabled-parking")
    client.record_consent(session.session_id, session.terms_version, session.dataset_ids)
    key, certificate = citizen_credentials(settings.sandbox.seed, national_id)
    challenge = client.moica_challenge(session.session_id)
    status = client.moica_verify(
        session.session_id, certificate.public_bytes(Encoding.DER), sign_challenge(key, challenge)
    )
    client.cancel_session(session.session_id)
    return status.needs_another_method


def test_reset_forgets_first_use_and_state_but_keeps_terminals_and_clerks(
    broker: tuple[Settings, str], client: BrokerClient, tmp_path: Path
) -> None:
    settings, url = broker
    citizen = citizens(settings)[70]
    issue_code(client, settings, citizen)
    assert not _moica_only(client, settings, citizen.national_id)  # known citizen: one method

    done = _sandbox_command(settings, tmp_path, "reset")
    assert done.returncode == 0, done.stderr

    assert _moica_only(client, settings, citizen.national_id)  # a first use again
    assert client.clerk_login("clerk-hualien", "hualien-demo").token
    with sqlite3.connect(settings.sandbox.database) as db:
        assert db.execute("SELECT COUNT(*) FROM terminals").fetchone()[0] >= 1
        assert db.execute("SELECT COUNT(*) FROM codes").fetchone()[0] == 0
    assert all(
        m["recipient"] != citizen.email for m in requests.get(f"{url}/outbox.json", timeout=5).json()["messages"]
    )
    verified = _sandbox_command(settings, tmp_path, "audit-verify")
    assert verified.returncode == 0 and "chain intact" in verified.stdout


def test_audit_verify_catches_a_deleted_row(broker: tuple[Settings, str], tmp_path: Path) -> None:
    settings = broker[0]
    client = BrokerClient(settings.broker)
    issue_code(client, settings, citizens(settings)[61])
    config = write_config(settings, tmp_path / "config.toml")
    with sqlite3.connect(settings.sandbox.database) as db:
        db.execute("DROP TRIGGER IF EXISTS audit_append_only_delete")
        db.execute("DROP TRIGGER IF EXISTS audit_append_only_update")
        seq = db.execute("SELECT seq FROM audit WHERE event = 'consent' ORDER BY seq DESC LIMIT 1").fetchone()[0]
        db.execute("DELETE FROM audit WHERE seq = ?", [seq])
    command = [sys.executable, "-m", "mydata_counter.cli", "sandbox", "--config", str(config), "audit-verify"]
    bad = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert bad.returncode == 1
    assert f"record {seq}" in bad.stderr and "missing" in bad.stderr


def test_clerk_passwords_are_stored_only_as_argon2id_hashes(broker: tuple[Settings, str]) -> None:
    with sqlite3.connect(broker[0].sandbox.database) as db:
        rows = db.execute("SELECT username, password_hash FROM clerks").fetchall()
    assert len(rows) >= 12
    for username, password_hash in rows:
        assert password_hash.startswith("$argon2id$")
        assert username.removeprefix("clerk-") + "-demo" not in password_hash
