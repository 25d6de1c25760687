"""``mydata-counter hw printers`` and ``hw print-test``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import click

from counter_core.i18n import bilingual
from hardware.printer import build_printer
from hardware.printer.interface import PrinterError
from hardware.printer.receipt import sample_receipt
from hardware.printer.samples import write_samples
from mydata_counter.cli.support import config_option, load_or_exit


@click.command("printers")
@config_option
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a line.")
def printers(config_path: Path, as_json: bool) -> None:
    """The configured printer, its driver and status (ready, paper low/out, cover open, offline); exits 1 when
    it cannot print."""
    settings = load_or_exit(config_path, as_json).devices.printer
    printer = build_printer(settings)
    try:
        health = printer.health()
    finally:
        printer.close()
    if as_json:
        click.echo(json.dumps({"printers": [health.as_dict()]}, ensure_ascii=False))
    else:
        click.echo(
            f"{settings.kind:<15} {health.driver:<22} {health.state:<5} {bilingual(health.message_key)}"
            + (f"  [{health.detail}]" if health.detail else "")
        )
    if health.state == "fail":
        raise SystemExit(1)


@click.command("print-test")
@config_option
def print_test(config_path: Path) -> None:
    """Print a test receipt with every element (QR, Code128, grouped digits, expiry, CJK text)."""
    settings = load_or_exit(config_path).devices.printer
    printer = build_printer(settings)
    receipt = sample_receipt(datetime.now() + timedelta(minutes=10))
    try:
        printer.print_receipt(receipt)
    except PrinterError as error:  # the detail names the cause (e.g. the CUPS job cancelled and why)
        detail = error.params.get("detail")
        click.echo(error.bilingual() + (f"  [{detail}]" if detail else ""), err=True)
        raise SystemExit(1) from None
    finally:
        printer.close()
    click.echo("測試收據已列印 / test receipt printed")


@click.command("receipt-samples")
@click.option(
    "--out",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("docs/receipts"),
    show_default=True,
    help="Folder to write the PNG samples into.",
)
def receipt_samples(folder: Path) -> None:
    """Write the sample receipts (thermal 80/58 mm, PDF 80/58 mm and A4) as PNG, from a fixed code and
    time: the pictures in docs/receipts/ (`make receipts`)."""
    for path in write_samples(folder):
        click.echo(path)


commands = [printers, print_test, receipt_samples]
