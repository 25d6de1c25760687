"""The ``hw doctor`` command (registered on the ``hw`` group by ``mydata_counter.cli``)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from counter_core.i18n import languages
from mydata_counter.cli.support import config_option
from mydata_counter.doctor import run_doctor

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
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of lines.")
@click.option("--lang", type=click.Choice(languages()), default="zh-TW", show_default=True)
def doctor(config_path: Path, role: str, as_json: bool, lang: str) -> None:
    """Check config, broker and clock, and every device: OK/WARN/FAIL with a fix hint.

    Exits 1 when any check fails."""
    checks = [check.as_dict(lang) for check in run_doctor(config_path, ROLES[role])]
    if as_json:
        click.echo(json.dumps({"checks": checks}, ensure_ascii=False, indent=2))
    else:
        for check in checks:
            click.echo(f"{check['status']:<4}  {check['check']:<12} {check['message']}")
            if check["hint"]:
                click.echo(f"      {'':<12} → {check['hint']}")
    if any(check["status"] == "FAIL" for check in checks):
        raise SystemExit(1)
