"""The technician's device tools keep their promises: ``--json`` prints JSON on error paths too, a printer that
cannot print exits 1, ``hw decode`` takes folders, and ``config check --json`` never shows a secret."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import cv2

from counter_core.settings import Settings
from hardware.decode.corpus import _place, _receipt
from mydata_counter.servicerunner import free_port, write_config

HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$c2VjcmV0aGFzaHZhbHVl"


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mydata_counter.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_config_check_json_redacts_the_admin_hash(demo_settings: Settings, tmp_path: Path) -> None:
    data = demo_settings.model_dump()
    data["clerk"]["admin_password_hash"] = HASH
    result = _cli("config", "check", "--json", "--config", str(write_config(Settings(**data), tmp_path / "c.toml")))
    shown = json.loads(result.stdout)
    assert result.returncode == 0 and HASH not in result.stdout
    assert shown["clerk"]["admin_password_hash"] == "<redacted>" and shown["kiosk"]["admin_password_hash"] == ""


def test_config_check_json_reports_problems_as_json_with_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[kiosk]\nadmin_password_hash = 12\nport = "x"\n[clerk]\nadmin_password_hash = "{HASH}"\n')
    result = _cli("config", "check", "--json", "--config", str(config))
    report = json.loads(result.stdout)
    assert result.returncode == 2 and report["ok"] is False
    assert any(line.startswith("kiosk.port") for line in report["problems"])
    assert any("admin_password_hash = <redacted>" in line for line in report["problems"])


def test_readers_json_reports_pcscd_down_as_json(demo_settings: Settings, tmp_path: Path) -> None:
    data = demo_settings.model_dump()
    data["devices"]["reader"]["driver"] = "real"
    config = write_config(Settings(**data), tmp_path / "c.toml")
    result = _cli("hw", "readers", "--json", "--config", str(config), env={"PCSCLITE_CSOCK_NAME": str(tmp_path / "x")})
    report = json.loads(result.stdout)
    assert result.returncode == 1 and report["error"] == "card.service_down" and "pcscd" in report["message"]["en"]


def test_readers_json_reports_a_bad_config_as_json(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text("[devices.reader]\ndriver = 'magic'\n")
    result = _cli("hw", "readers", "--json", "--config", str(tmp_path / "c.toml"))
    assert result.returncode == 2 and json.loads(result.stdout)["problems"]


def test_printers_exits_1_when_the_printer_cannot_print(demo_settings: Settings, tmp_path: Path) -> None:
    data = demo_settings.model_dump()
    data["devices"]["printer"].update({"driver": "real", "kind": "escpos-network", "port": free_port()})
    config = str(write_config(Settings(**data), tmp_path / "c.toml"))
    assert _cli("hw", "printers", "--config", config).returncode == 1
    as_json = _cli("hw", "printers", "--json", "--config", config)
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["printers"][0]["state"] == "fail"
    assert _cli("hw", "printers", "--config", str(write_config(demo_settings, tmp_path / "ok.toml"))).returncode == 0


def test_decode_takes_a_folder_of_frames_and_skips_its_other_files(tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    code = "4601182739055126"
    cv2.imwrite(str(frames / "a.png"), _place(random.Random(1), _receipt(code), (1280, 720), 0.8, 0.02))
    cv2.imwrite(
        str(frames / "b.jpg"), _place(random.Random(2), _receipt(code, hide_codes=True), (1280, 720), 0.8, 0.02)
    )
    (frames / "manifest.json").write_text("{}")
    (tmp_path / "single.png").write_bytes((frames / "a.png").read_bytes())
    result = _cli("hw", "decode", str(frames), str(tmp_path / "single.png"))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0
    assert [Path(line["file"]).name for line in lines] == ["a.png", "b.jpg", "single.png"]
    assert [line["text"] for line in lines] == [f"MYDATA1:{code}", None, f"MYDATA1:{code}"]
