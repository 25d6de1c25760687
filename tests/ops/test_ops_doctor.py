"""``hw doctor``: OK against a healthy setup, the right FAIL and hint when something is broken."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from counter_core.settings import Settings
from mydata_counter.servicerunner import free_port, write_config


def _doctor(config: Path, *args: str) -> tuple[int, dict[str, dict[str, str]]]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mydata_counter.cli",
            "hw",
            "doctor",
            "--config",
            str(config),
            "--json",
            "--lang",
            "en",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    checks = {check["check"]: check for check in json.loads(result.stdout)["checks"]}
    return result.returncode, checks


def _with_broker(settings: Settings, url: str) -> Settings:
    data = settings.model_dump()
    data["broker"]["url"] = url
    data["broker"]["key_file"] = None
    return Settings(**data)


def test_doctor_reports_broker_ok_and_clock_in_sync(demo_settings: Settings, sandbox_url: str, tmp_path: Path) -> None:
    config = write_config(_with_broker(demo_settings, sandbox_url), tmp_path / "c.toml")
    _, checks = _doctor(config, "--role", "clerk")
    assert checks["config"]["status"] == "OK"
    assert checks["broker"]["status"] == "OK"
    assert checks["clock"]["status"] == "OK"
    assert {"camera", "decoder"} <= checks.keys()


def test_unreachable_broker_fails_with_a_hint_and_exit_1(demo_settings: Settings, tmp_path: Path) -> None:
    config = write_config(_with_broker(demo_settings, f"http://127.0.0.1:{free_port()}"), tmp_path / "c.toml")
    status, checks = _doctor(config, "--role", "kiosk")
    assert status == 1
    assert checks["broker"]["status"] == "FAIL"
    assert "Cannot reach the broker" in checks["broker"]["message"]
    assert "curl" in checks["broker"]["hint"]


def test_missing_terminal_key_fails(demo_settings: Settings, sandbox_url: str, tmp_path: Path) -> None:
    data = _with_broker(demo_settings, sandbox_url).model_dump()
    data["broker"]["key_file"] = tmp_path / "absent.pem"
    config = write_config(Settings(**data), tmp_path / "c.toml")
    status, checks = _doctor(config, "--role", "kiosk")
    assert status == 1
    assert checks["terminal key"]["status"] == "FAIL"
    assert "0600" in checks["terminal key"]["hint"]


def test_invalid_config_fails_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[devices.camera]\nfps = 'fast'\n")
    status, checks = _doctor(config)
    assert status == 1
    assert checks["config"]["status"] == "FAIL"
    assert "devices.camera.fps" in checks["config"]["message"]


def test_human_output_has_one_line_per_check_with_status_words(demo_settings: Settings, tmp_path: Path) -> None:
    config = write_config(_with_broker(demo_settings, f"http://127.0.0.1:{free_port()}"), tmp_path / "c.toml")
    result = subprocess.run(
        [sys.executable, "-m", "mydata_counter.cli", "hw", "doctor", "--config", str(config), "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    first_words = {line.split()[0] for line in result.stdout.splitlines() if line and not line.startswith(" ")}
    assert first_words <= {"OK", "WARN", "FAIL"}
    assert "FAIL" in first_words


def test_each_broken_device_fails_with_its_own_message_and_hint(demo_settings: Settings, tmp_path: Path) -> None:
    data = _with_broker(demo_settings, f"http://127.0.0.1:{free_port()}").model_dump()
    data["devices"]["printer"].update({"driver": "real", "kind": "escpos-network", "port": free_port()})
    data["devices"]["camera"].update({"driver": "real", "source": str(tmp_path / "no-camera.avi")})
    config = write_config(Settings(**data), tmp_path / "c.toml")
    status, checks = _doctor(config, "--role", "all")
    assert status == 1
    assert checks["printer"]["status"] == "FAIL" and checks["printer"]["key"] == "printer.offline"
    assert "cable" in checks["printer"]["hint"]
    assert checks["camera"]["status"] in ("WARN", "FAIL") and checks["camera"]["key"].startswith("camera.")
    assert checks["decoder"]["status"] == "OK"


def test_simulated_devices_report_ok(demo_settings: Settings, tmp_path: Path) -> None:
    config = write_config(_with_broker(demo_settings, f"http://127.0.0.1:{free_port()}"), tmp_path / "c.toml")
    _, checks = _doctor(config, "--role", "all")
    assert {checks[kind]["status"] for kind in ("reader", "printer", "camera", "decoder")} == {"OK"}
