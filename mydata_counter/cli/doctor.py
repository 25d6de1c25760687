"""The ``hw doctor`` command (registered on the ``hw`` group by ``mydata_counter.cli``)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import click

from counter_core.i18n import languages
from mydata_counter.cli.support import config_option
from mydata_counter.doctor import Check, run_doctor
from mydata_counter.doctor.key import SERVICE_USER

ROLES = {
    "kiosk": ("reader", "printer"),
    "clerk": ("camera", "decoder"),
    "all": ("reader", "printer", "camera", "decoder"),
}


@click.command("doctor")
@config_option
@click.option(
    "--role",
    type=click.Choice(sorted(ROLES)),
    default="all",
    show_default=True,
    help="Which terminal this is: checks only its devices.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of lines (errors included).")
@click.option("--lang", type=click.Choice(languages()), default="zh-TW", show_default=True)
@click.option("--service-user", default=SERVICE_USER, show_default=True, help="Who must own the terminal key.")
def doctor(config_path: Path, role: str, as_json: bool, lang: str, service_user: str) -> None:
    """Check config, terminal key, broker (TLS, registration, clock) and every device: OK/WARN/FAIL with a
    fix hint for the cause.

    Exits 1 when any check fails."""
    started = time.monotonic()
    logging.disable(logging.WARNING)  # every failure is in the report, with its hint; no log lines around it
    try:
        found = run_doctor(config_path, ROLES[role], service_user)
    except Exception as exc:  # the report must still come out, as JSON when asked
        found = [Check("doctor", "FAIL", "doctor.failed", {"error": type(exc).__name__}, "doctor.device.error.hint")]
    checks = [check.as_dict(lang) for check in found]
    failed = any(check["status"] == "FAIL" for check in checks)
    if as_json:
        report = {"ok": not failed, "seconds": round(time.monotonic() - started, 2), "checks": checks}
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for check in checks:
            click.echo(f"{check['status']:<4}  {check['check']:<12} {check['message']}")
            if check["hint"]:
                click.echo(f"      {'':<12} → {check['hint']}")
    if failed:
        raise SystemExit(1)
