"""``mydata-counter hw doctor``: one line per check — config, broker and clock, each device — with
OK/WARN/FAIL and a fix hint, for the technician on site. Finishes within a few seconds."""

from __future__ import annotations

import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal

import requests

from counter_core.i18n import has_message, translate
from counter_core.settings import ConfigError, Settings, load_settings
from hardware.devices import build_device

Status = Literal["OK", "WARN", "FAIL"]
MAX_CLOCK_SKEW_S = 30.0  # the broker refuses requests signed more than 60 s away
CHECK_TIMEOUT_S = 3.0
_STATUS_OF_STATE: dict[str, Status] = {"ok": "OK", "warn": "WARN", "fail": "FAIL", "off": "WARN"}


@dataclass
class Check:
    name: str
    status: Status
    message_key: str
    params: dict[str, Any] = field(default_factory=dict)
    hint_key: str = ""

    def as_dict(self, language: str) -> dict[str, Any]:
        return {
            "check": self.name,
            "status": self.status,
            "message": translate(self.message_key, language, **self.params),
            "hint": translate(self.hint_key, language, **self.params) if has_message(self.hint_key) else "",
            "key": self.message_key,
        }


def check_config(path: Path) -> tuple[Check, Settings | None]:
    try:
        settings = load_settings(path)
    except ConfigError as error:
        problems = "; ".join(error.problems)
        return Check(
            "config",
            "FAIL",
            "doctor.config.invalid",
            {"path": str(path), "problems": problems},
            "doctor.config.hint",
        ), None
    return Check("config", "OK", "doctor.config.ok", {"path": str(path)}), settings


def check_broker(settings: Settings) -> list[Check]:
    url = settings.broker.url
    try:
        response = requests.get(f"{url}/healthz", timeout=CHECK_TIMEOUT_S)
    except requests.RequestException:
        return [Check("broker", "FAIL", "doctor.broker.unreachable", {"url": url}, "doctor.broker.hint")]
    checks = [
        Check(
            "broker",
            "OK" if response.ok else "FAIL",
            "doctor.broker.ok" if response.ok else "doctor.broker.status",
            {"url": url, "status": response.status_code},
            "" if response.ok else "doctor.broker.hint",
        )
    ]
    date = response.headers.get("Date")
    if date:
        skew = (datetime.now(UTC) - parsedate_to_datetime(date)).total_seconds()
        status: Status = "OK" if abs(skew) <= MAX_CLOCK_SKEW_S else "FAIL"
        checks.append(
            Check(
                "clock",
                status,
                "doctor.clock.skew",
                {"seconds": round(skew, 1)},
                "" if status == "OK" else "doctor.clock.hint",
            )
        )
    if settings.broker.key_file is not None and not settings.broker.key_file.exists():
        checks.append(
            Check(
                "terminal key",
                "FAIL",
                "doctor.key.missing",
                {"path": str(settings.broker.key_file)},
                "doctor.key.hint",
            )
        )
    return checks


def _device_check(kind: str, settings: Settings) -> Check:
    device = build_device(kind, settings.devices)
    try:
        health = device.health()
        detail = health.detail
        if kind == "camera" and health.state == "ok":
            detail = _camera_grab_and_decode(device, settings) or detail
        status = _STATUS_OF_STATE[health.state]
        return Check(
            kind,
            status,
            health.message_key,
            {"driver": health.driver, "detail": detail},
            "" if status == "OK" else f"{health.message_key}.hint",
        )
    finally:
        device.close()


def _camera_grab_and_decode(camera: Any, settings: Settings) -> str:
    """Grab one frame and try a decode: tells the technician the whole scan path works."""
    start = getattr(camera, "start", None)
    latest = getattr(camera, "latest_frame", None)
    if start is None or latest is None:
        return ""
    start()
    deadline = time.monotonic() + 2.0
    frame = None
    while frame is None and time.monotonic() < deadline:
        frame = latest()
        time.sleep(0.05)
    if frame is None:
        return translate("doctor.camera.no_frame", "en")
    decoder = build_device("decoder", settings.devices)
    try:
        image = getattr(frame, "image", frame)
        found = decoder.decode(image) if hasattr(decoder, "decode") else None
    finally:
        decoder.close()
    shape = getattr(image, "shape", ("?", "?"))
    return f"frame {shape[1]}x{shape[0]}, " + ("code found" if found else "no code in view")


def check_devices(settings: Settings, kinds: tuple[str, ...]) -> list[Check]:
    checks: list[Check] = []
    with ThreadPoolExecutor(max_workers=len(kinds)) as pool:
        futures = {kind: pool.submit(_device_check, kind, settings) for kind in kinds}
        for kind, future in futures.items():
            try:
                checks.append(future.result(timeout=CHECK_TIMEOUT_S))
            except FutureTimeout:
                checks.append(
                    Check(
                        kind,
                        "FAIL",
                        "doctor.device.timeout",
                        {"seconds": CHECK_TIMEOUT_S},
                        "doctor.device.timeout.hint",
                    )
                )
            except Exception as exc:  # a driver bug must not hide the other checks
                checks.append(
                    Check(
                        kind,
                        "FAIL",
                        "doctor.device.error",
                        {"error": type(exc).__name__},
                        "doctor.device.error.hint",
                    )
                )
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


def run_doctor(config_path: Path, kinds: tuple[str, ...]) -> list[Check]:
    config_check, settings = check_config(config_path)
    checks = [config_check]
    if settings is None:
        return checks
    with ThreadPoolExecutor(max_workers=1) as pool:
        broker_future = pool.submit(check_broker, settings)
        checks.extend(check_devices(settings, kinds))
        checks.extend(broker_future.result())
    if "reader" in kinds:
        checks.append(check_virtual_cards())
    return checks
