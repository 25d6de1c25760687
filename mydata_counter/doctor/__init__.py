"""``mydata-counter hw doctor``: one line per check — config, terminal key, broker (TLS, who it takes this
terminal for, clock), each device, virtual card readers — with OK/WARN/FAIL and a fix hint for the cause, for
the technician on site. The broker and the devices are checked side by side: a few seconds in all, a broker
that does not answer included (``docs/deploy.md`` has the figures)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from counter_core.settings import ConfigError, Settings, load_settings
from mydata_counter.doctor.broker import check_broker
from mydata_counter.doctor.check import Check, Status
from mydata_counter.doctor.devices import check_devices, check_virtual_cards
from mydata_counter.doctor.key import SERVICE_USER, check_terminal_key

__all__ = ["Check", "Status", "check_config", "run_doctor"]


def check_config(path: Path) -> tuple[Check, Settings | None]:
    try:
        settings = load_settings(path)
    except ConfigError as error:
        problems = "; ".join(error.problems)
        params = {"path": str(path), "problems": problems}
        return Check("config", "FAIL", "doctor.config.invalid", params, "doctor.config.hint"), None
    return Check("config", "OK", "doctor.config.ok", {"path": str(path)}), settings


def run_doctor(config_path: Path, kinds: tuple[str, ...], service_user: str = SERVICE_USER) -> list[Check]:
    config_check, settings = check_config(config_path)
    checks = [config_check]
    if settings is None:
        return checks
    key_check, key_usable = check_terminal_key(settings.broker, service_user)
    checks.append(key_check)
    with ThreadPoolExecutor(max_workers=1) as pool:
        broker_future = pool.submit(check_broker, settings.broker, key_usable)
        devices = check_devices(settings, kinds)
        checks.extend(broker_future.result())
    checks.extend(devices)
    if "reader" in kinds:
        checks.append(check_virtual_cards())
    return checks
