"""Each device the way it will be used: the camera gives a frame (its size, and whether a code is in view), a
network printer's port answers (or why not) and then its status, the card service and readers answer; a hint
for each cause, so a refused port never reads as a broken device."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from counter_core.netcause import network_cause
from counter_core.settings import CameraSettings, PrinterSettings, Settings
from hardware.camera.interface import CameraNotFound, StreamLost, next_frame
from hardware.devices import build_device
from hardware.health import Device
from mydata_counter.doctor.check import Check, Status, device_hint

FRAME_WAIT_S = 3.0
PORT_WAIT_S = 2.5
CHECK_TIMEOUT_S = 6.0  # a frame (3 s) and its decode, or a port (2.5 s) and three status answers
_STATUS_OF_STATE: dict[str, Status] = {"ok": "OK", "warn": "WARN", "fail": "FAIL", "off": "WARN"}


def _from_health(kind: str, device: Device) -> Check:
    health = device.health()
    status = _STATUS_OF_STATE[health.state]
    params = {"driver": health.driver, "detail": health.detail}
    return Check(kind, status, health.message_key, params, "" if status == "OK" else device_hint(health.message_key))


def _camera_device_problem(settings: CameraSettings) -> Check | None:
    """A local camera that is not there, or not ours to open, is known before waiting for a frame."""
    source = settings.source.strip() or "0"
    if "://" in source:
        return None
    path = Path(f"/dev/video{source}") if source.isdigit() else Path(source)
    params = {"source": source, "path": str(path)}
    if not path.exists():
        return Check("camera", "FAIL", "doctor.camera.not_found", params, "doctor.camera.not_found.hint")
    if not os.access(path, os.R_OK):
        return Check("camera", "FAIL", "doctor.camera.permission", params, "doctor.camera.permission.hint")
    return None


def check_camera(settings: Settings) -> Check:
    camera_settings = settings.devices.camera
    if camera_settings.driver == "real" or camera_settings.source:
        problem = _camera_device_problem(camera_settings)
        if problem is not None:
            return problem
    camera: Any = build_device("camera", settings.devices)
    source = camera_settings.source or ("0" if camera_settings.driver == "real" else "simulated")
    params: dict[str, object] = {"source": source, "seconds": FRAME_WAIT_S}
    try:
        camera.start()
        try:
            frame = next_frame(camera, timeout_s=FRAME_WAIT_S)
        except CameraNotFound:
            return Check("camera", "FAIL", "doctor.camera.not_found", params, "doctor.camera.not_found.hint")
        except StreamLost:
            url = "://" in camera_settings.source
            hint = "doctor.camera.no_frame.url.hint" if url else "doctor.camera.no_frame.hint"
            return Check("camera", "FAIL", "doctor.camera.no_frame", params, hint)
    finally:
        camera.close()
    decoder: Any = build_device("decoder", settings.devices)
    try:
        found = decoder.decode(frame.image)
    finally:
        decoder.close()
    height, width = frame.image.shape[:2]
    params.update(width=width, height=height, driver=camera.health().driver)
    return Check("camera", "OK", "doctor.camera.code_seen" if found else "doctor.camera.frame", params)


def _printer_port_problem(settings: PrinterSettings) -> Check | None:
    params: dict[str, object] = {"host": settings.host, "port": settings.port, "seconds": PORT_WAIT_S}
    if settings.kind == "escpos-network":
        try:
            with socket.create_connection((settings.host, settings.port), timeout=PORT_WAIT_S):
                return None
        except OSError as exc:
            key = f"doctor.printer.{network_cause(exc)}"
            return Check("printer", "FAIL", key, params, f"{key}.hint")
    if settings.kind == "escpos-serial":
        params["device"] = settings.serial_device
        device = Path(settings.serial_device)
        if not device.exists():
            return Check("printer", "FAIL", "doctor.printer.no_device", params, "doctor.printer.no_device.hint")
        if not os.access(device, os.R_OK | os.W_OK):
            key = "doctor.printer.serial_permission"
            return Check("printer", "FAIL", key, params, f"{key}.hint")
    return None


def check_printer(settings: Settings) -> Check:
    if settings.devices.printer.driver == "real":
        problem = _printer_port_problem(settings.devices.printer)
        if problem is not None:
            return problem
    device = build_device("printer", settings.devices)
    try:
        return _from_health("printer", device)
    finally:
        device.close()


def _check_plain(kind: str, settings: Settings) -> Check:
    device = build_device(kind, settings.devices)
    try:
        return _from_health(kind, device)
    finally:
        device.close()


def check_reader(settings: Settings) -> list[Check]:
    checks = [_check_plain("reader", settings)]
    reader = settings.devices.reader
    if reader.driver == "real" and not reader.pkcs11_module.is_file():
        params = {"path": str(reader.pkcs11_module)}
        checks.append(Check("moica module", "FAIL", "doctor.pkcs11.missing", params, "doctor.pkcs11.missing.hint"))
    return checks


def _one(kind: str, settings: Settings) -> list[Check]:
    if kind == "camera":
        return [check_camera(settings)]
    if kind == "printer":
        return [check_printer(settings)]
    if kind == "reader":
        return check_reader(settings)
    return [_check_plain(kind, settings)]


def check_devices(settings: Settings, kinds: tuple[str, ...]) -> list[Check]:
    checks: list[Check] = []
    pool = ThreadPoolExecutor(max_workers=len(kinds))
    futures = {kind: pool.submit(_one, kind, settings) for kind in kinds}
    deadline = time.monotonic() + CHECK_TIMEOUT_S  # side by side: one deadline for all
    for kind, future in futures.items():
        try:
            checks.extend(future.result(timeout=max(0.0, deadline - time.monotonic())))
        except FutureTimeout:
            params = {"seconds": CHECK_TIMEOUT_S}
            checks.append(Check(kind, "FAIL", "doctor.device.timeout", params, "doctor.device.timeout.hint"))
        except Exception as exc:  # a driver bug must not hide the other checks
            error = {"error": type(exc).__name__}
            checks.append(Check(kind, "FAIL", "doctor.device.error", error, "doctor.device.error.hint"))
    pool.shutdown(wait=False, cancel_futures=True)  # a hung driver must not hold the report back
    return checks


def check_virtual_cards() -> Check:
    """vsmartcard's vpcd lets anyone on the network 'insert' a card: never on a deployed kiosk."""
    if shutil.which("dpkg-query") is None:
        return Check("vsmartcard", "OK", "doctor.vpcd.absent")
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", "vsmartcard-vpcd"], capture_output=True, text=True, check=False
    )
    if "install ok installed" in result.stdout:
        return Check("vsmartcard", "WARN", "doctor.vpcd.installed", {}, "doctor.vpcd.hint")
    return Check("vsmartcard", "OK", "doctor.vpcd.absent")
