"""``hw doctor`` and the devices: the camera gives a frame within ~3 s (its size, and whether a code is in
view), a camera that is not there is "camera not found"; a printer's refused port says to check the address,
never to replace the device; pcscd down has its own hint; JSON and exit codes on every path."""

from __future__ import annotations

import random
import subprocess
from collections.abc import Mapping
from pathlib import Path

import cv2
import numpy as np
import pytest

from counter_core.settings import Settings
from hardware.decode.corpus import _place, _receipt
from hardware.printer.capture import capture_printer
from mydata_counter.servicerunner import free_port, write_config
from tests.ops.doctor_rig import DOCTOR, run_doctor

CODE = "4601182739055126"


def _config(settings: Settings, folder: Path, **devices: Mapping[str, object]) -> Path:
    """``settings`` with the broker somewhere nothing listens (these tests are about devices) and ``devices``."""
    data = settings.model_dump()
    data["broker"].update({"url": f"http://127.0.0.1:{free_port()}"})
    for kind, values in devices.items():
        data["devices"][kind].update(values)
    return write_config(Settings(**data), folder / "config.toml")


def _frames(folder: Path, code: str | None) -> Path:
    """An image folder a real camera driver plays: a 1280×720 desk, with a receipt carrying ``code`` on it."""
    folder.mkdir()
    if code is None:
        desk = np.full((720, 1280), 128, np.uint8)
    else:
        desk = _place(random.Random(code), _receipt(code), (1280, 720), 0.85, 0.04)
    cv2.imwrite(str(folder / "frame.png"), desk)
    return folder


def test_a_camera_frame_is_grabbed_with_its_size_and_the_code_in_view(demo_settings: Settings, tmp_path: Path) -> None:
    source = str(_frames(tmp_path / "frames", CODE))
    report = run_doctor(
        _config(demo_settings, tmp_path, camera={"driver": "real", "source": source}), "--role", "clerk"
    )
    camera = report.checks["camera"]
    assert camera["status"] == "OK" and camera["key"] == "doctor.camera.code_seen"
    assert "1280×720" in camera["message"]


def test_an_empty_view_is_ok_and_says_no_code(demo_settings: Settings, tmp_path: Path) -> None:
    source = str(_frames(tmp_path / "frames", None))
    report = run_doctor(
        _config(demo_settings, tmp_path, camera={"driver": "real", "source": source}), "--role", "clerk"
    )
    assert report.checks["camera"]["key"] == "doctor.camera.frame" and "no code" in report.checks["camera"]["message"]


@pytest.mark.parametrize("source", ["/dev/video63", "63", "{tmp}/no-camera.avi"])
def test_a_camera_that_does_not_exist_fails_as_not_found(demo_settings: Settings, tmp_path: Path, source: str) -> None:
    camera = {"driver": "real", "source": source.format(tmp=tmp_path)}
    report = run_doctor(_config(demo_settings, tmp_path, camera=camera), "--role", "clerk")
    check = report.checks["camera"]
    assert check["status"] == "FAIL" and check["message"].startswith("Camera not found")
    assert "v4l2-ctl" in check["hint"] and report.status == 1


def test_a_printer_port_that_refuses_says_check_the_address_and_that_it_is_on(
    demo_settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    printer = {"driver": "real", "kind": "escpos-network", "host": "127.0.0.1", "port": port}
    report = run_doctor(_config(demo_settings, tmp_path, printer=printer), "--role", "kiosk")
    check = report.checks["printer"]
    assert check["status"] == "FAIL" and check["key"] == "doctor.printer.refused"
    assert f"127.0.0.1:{port}" in check["message"]
    assert "address" in check["hint"] and "printer is on" in check["hint"] and "replace" not in check["hint"].lower()


def test_a_printer_that_answers_reports_its_status(demo_settings: Settings, tmp_path: Path) -> None:
    with capture_printer("paper_low") as device:
        printer = {"driver": "real", "kind": "escpos-network", "host": "127.0.0.1", "port": device.port}
        report = run_doctor(_config(demo_settings, tmp_path, printer=printer), "--role", "kiosk")
    assert report.checks["printer"]["status"] == "WARN" and report.checks["printer"]["key"] == "printer.paper_low"


def test_a_serial_printer_whose_port_is_missing_says_check_the_cable(demo_settings: Settings, tmp_path: Path) -> None:
    printer = {"driver": "real", "kind": "escpos-serial", "serial_device": "/dev/ttyUSB-none"}
    report = run_doctor(_config(demo_settings, tmp_path, printer=printer), "--role", "kiosk")
    assert report.checks["printer"]["key"] == "doctor.printer.no_device" and "cable" in report.checks["printer"]["hint"]


def test_pcscd_not_answering_fails_the_reader_with_how_to_start_it(demo_settings: Settings, tmp_path: Path) -> None:
    reader = {"driver": "real", "pkcs11_module": "/usr/lib/softhsm/libsofthsm2.so"}
    config = _config(demo_settings, tmp_path, reader=reader)
    # libpcsclite finds pcscd through this socket; one that does not exist is pcscd down, for this process only
    report = run_doctor(config, "--role", "kiosk", env={"PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")})
    check = report.checks["reader"]
    assert check["status"] == "FAIL" and check["key"] == "card.service_down"
    assert "systemctl enable --now pcscd.socket" in check["hint"]


def test_a_missing_moica_module_fails(demo_settings: Settings, tmp_path: Path) -> None:
    config = _config(demo_settings, tmp_path, reader={"driver": "real", "pkcs11_module": "/usr/lib/no-such-hicos.so"})
    report = run_doctor(config, "--role", "kiosk", env={"PCSCLITE_CSOCK_NAME": str(tmp_path / "none")})
    assert report.checks["moica module"]["status"] == "FAIL" and "HiCOS" in report.checks["moica module"]["hint"]


def test_simulated_devices_report_ok(demo_settings: Settings, tmp_path: Path) -> None:
    report = run_doctor(_config(demo_settings, tmp_path), "--role", "all")
    assert {report.checks[kind]["status"] for kind in ("reader", "printer", "camera", "decoder")} == {"OK"}


def test_invalid_config_fails_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[devices.camera]\nfps = 'fast'\n")
    report = run_doctor(config)
    assert report.status == 1
    assert report.checks["config"]["status"] == "FAIL" and "devices.camera.fps" in report.checks["config"]["message"]


def test_human_output_has_one_line_per_check_with_status_words(demo_settings: Settings, tmp_path: Path) -> None:
    config = _config(demo_settings, tmp_path)
    result = subprocess.run(
        [*DOCTOR, "--config", str(config), "--lang", "zh-TW"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    first_words = {line.split()[0] for line in result.stdout.splitlines() if line and not line.startswith(" ")}
    assert first_words <= {"OK", "WARN", "FAIL"} and "FAIL" in first_words
    assert "無法連線中介平台" in result.stdout and result.stderr == "" and result.returncode == 1


def test_no_secret_appears_in_the_report(demo_settings: Settings, tmp_path: Path) -> None:
    data = demo_settings.model_dump()
    data["kiosk"]["admin_password_hash"] = "$argon2id$v=19$m=19456,t=2,p=1$c2VjcmV0c2FsdA$secrethashvalue"
    config = write_config(Settings(**data), tmp_path / "c.toml")
    config.write_text(config.read_text().replace("fps = 30", "fps = 0"))  # a bad value: the report lists problems
    report = run_doctor(config)
    assert "secrethashvalue" not in report.stdout and "devices.camera.fps" in report.stdout
