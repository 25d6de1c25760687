"""``mydata-counter terminal init|show``: a new terminal key (Ed25519, 0600, the service user's when run as
root), its public key, fingerprint and a registration request that the broker operator's tool takes as it
is — after which ``hw doctor`` finds the terminal registered; rotation keeps the old key beside the new one."""

from __future__ import annotations

import json
import os
import pwd
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from broker_client.keys import fingerprint
from broker_client.signing import load_private_key, public_key_pem
from counter_core.settings import Settings, load_settings
from mydata_counter.servicerunner import write_config
from mydata_counter.testing.sandbox import running_sandbox, sandbox_settings
from tests.ops.doctor_rig import ME, run_doctor

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mydata_counter.cli", *args], capture_output=True, text=True, timeout=60, check=False
    )


def _settings(folder: Path, terminal_id: str = "kiosk-hualien-07") -> tuple[Settings, Path]:
    base = load_settings(ROOT / "config" / "demo.toml")
    settings = sandbox_settings(base, folder, demo_mode=False)  # the sandbox trusts only registered terminals
    data = settings.model_dump()
    data["broker"].update({"terminal_id": terminal_id, "key_file": folder / "etc" / "terminal.pem"})
    settings = Settings(**data)
    return settings, write_config(settings, folder / "config.toml")


def test_init_creates_a_private_key_and_prints_what_the_broker_operator_needs(tmp_path: Path) -> None:
    settings, config = _settings(tmp_path)
    result = _cli(
        "terminal", "init", "--owner", ME, "--config", str(config), "--request-out", str(tmp_path / "request.json")
    )
    assert result.returncode == 0, result.stderr
    path = settings.broker.key_file or Path()
    key = load_private_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert fingerprint(key) in result.stdout and public_key_pem(key).strip() in result.stdout
    assert "BEGIN PRIVATE KEY" not in result.stdout + result.stderr
    request = json.loads((tmp_path / "request.json").read_text())
    assert request["terminal_id"] == "kiosk-hualien-07" and request["fingerprint"] == fingerprint(key)
    shown = _cli("terminal", "show", "--config", str(config), "--json")
    assert json.loads(shown.stdout)["registration_request"]["public_key"] == public_key_pem(key)


def test_init_refuses_to_replace_a_key_unless_forced_and_keeps_the_old_one(tmp_path: Path) -> None:
    settings, config = _settings(tmp_path)
    assert _cli("terminal", "init", "--owner", ME, "--config", str(config)).returncode == 0
    path = settings.broker.key_file or Path()
    first = fingerprint(load_private_key(path))
    again = _cli("terminal", "init", "--owner", ME, "--config", str(config))
    assert again.returncode == 1 and "terminal show" in again.stderr
    assert fingerprint(load_private_key(path)) == first
    assert _cli("terminal", "init", "--owner", ME, "--config", str(config), "--force").returncode == 0
    kept = list(path.parent.glob("terminal.pem.replaced-*"))
    assert len(kept) == 1 and fingerprint(load_private_key(kept[0])) == first
    assert fingerprint(load_private_key(path)) != first


def test_show_without_a_key_says_to_run_init(tmp_path: Path) -> None:
    _, config = _settings(tmp_path)
    result = _cli("terminal", "show", "--config", str(config))
    assert result.returncode == 1 and "terminal init" in result.stderr
    as_json = _cli("terminal", "show", "--config", str(config), "--json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["error"] == "missing"


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_as_root_the_key_and_a_folder_made_for_it_belong_to_the_service_user(tmp_path: Path) -> None:
    settings, config = _settings(tmp_path)
    assert _cli("terminal", "init", "--config", str(config), "--owner", "nobody").returncode == 0
    path = settings.broker.key_file or Path()
    nobody = pwd.getpwnam("nobody").pw_uid
    assert path.stat().st_uid == nobody and path.parent.stat().st_uid == nobody
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_the_registration_request_registers_the_terminal_and_doctor_then_passes(tmp_path: Path) -> None:
    settings, config = _settings(tmp_path)
    assert (
        _cli(
            "terminal", "init", "--owner", ME, "--config", str(config), "--request-out", str(tmp_path / "req.json")
        ).returncode
        == 0
    )
    with running_sandbox(settings):
        before = run_doctor(config, "--role", "clerk", service_user=ME)
        registered = _cli(
            "sandbox", "--config", str(config), "register-terminal", "--request", str(tmp_path / "req.json")
        )
        after = run_doctor(config, "--role", "clerk", service_user=ME)
    assert before.checks["terminal"]["key"] == "doctor.terminal.unknown"
    assert registered.returncode == 0, registered.stderr
    failed = {name: check["message"] for name, check in after.checks.items() if check["status"] == "FAIL"}
    assert after.checks["terminal"]["status"] == "OK" and failed == {}
