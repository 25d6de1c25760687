"""Printer faults are never silent: status bytes map to states, and each fault is a typed error
with a zh-TW and an en message."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from counter_core.datacode import new_code
from counter_core.i18n import catalogue
from counter_core.settings import PrinterSettings, Settings
from hardware.printer import build_printer
from hardware.printer.capture import State, capture_printer
from hardware.printer.cups_driver import CupsPrinter
from hardware.printer.escpos_driver import EscposPrinter, status_from_bytes
from hardware.printer.interface import CoverOpen, PaperOut, PrinterError, PrinterOffline, PrinterStatus, PrintFailed
from hardware.printer.receipt import sample_receipt
from mydata_counter.servicerunner import free_port, write_config

RECEIPT = sample_receipt(datetime(2026, 11, 24, 16, 40), new_code())


def _escpos(port: int) -> EscposPrinter:
    return EscposPrinter(PrinterSettings(driver="real", kind="escpos-network", port=port))


@pytest.mark.parametrize(
    "state,status,error",
    [
        ("paper_out", PrinterStatus.PAPER_OUT, PaperOut),
        ("cover_open", PrinterStatus.COVER_OPEN, CoverOpen),
        ("offline", PrinterStatus.OFFLINE, PrinterOffline),
    ],
)
def test_status_bytes_map_to_states_and_block_printing(
    state: State, status: PrinterStatus, error: type[PrinterError]
) -> None:
    with capture_printer(state) as capture:
        printer = _escpos(capture.port)
        assert printer.status() is status
        with pytest.raises(error) as raised:
            printer.print_receipt(RECEIPT)
        assert printer.health().state == "fail"
    assert raised.value.message("zh-TW") != raised.value.message("en")
    assert not any(job.images for job in capture.jobs)  # nothing half-printed


def test_paper_low_still_prints_but_warns() -> None:
    with capture_printer("paper_low") as capture:
        printer = _escpos(capture.port)
        printer.print_receipt(RECEIPT)
        assert printer.health().state == "warn"
        assert any(job.images for job in capture.wait_for_jobs(1))


def test_status_decoding_follows_the_escpos_bits() -> None:
    assert status_from_bytes(0x12, 0x12, 0x12) is PrinterStatus.READY
    assert status_from_bytes(0x12, 0x12, 0x1E) is PrinterStatus.PAPER_LOW
    assert status_from_bytes(0x1A, 0x32, 0x72) is PrinterStatus.PAPER_OUT
    assert status_from_bytes(0x1A, 0x16, 0x12) is PrinterStatus.COVER_OPEN
    assert status_from_bytes(0x1A, 0x12, 0x12) is PrinterStatus.OFFLINE


def test_connection_refused_is_offline_with_a_message() -> None:
    printer = _escpos(free_port())
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterOffline) as raised:
        printer.print_receipt(RECEIPT)
    assert "離線" in raised.value.message("zh-TW") and "offline" in raised.value.message("en")


def test_connection_dropped_mid_job_is_a_failed_print() -> None:
    with capture_printer("drop_mid_job") as capture:
        with pytest.raises(PrintFailed) as raised:
            _escpos(capture.port).print_receipt(RECEIPT)
        assert not capture.wait_for_jobs(1, timeout_s=2)[0].complete
    assert "印完整" in raised.value.message("zh-TW") and "did not print" in raised.value.message("en")


@pytest.mark.parametrize("key", [*(error.key for error in (PaperOut, CoverOpen, PrinterOffline, PrintFailed)),
                                 "printer.paper_low"])  # fmt: skip
def test_every_printer_fault_has_a_zh_tw_and_an_en_message_with_a_fix_hint(key: str) -> None:
    zh, en = catalogue("zh-TW"), catalogue("en")
    for name in (key, f"{key}.hint"):
        assert zh.get(name) and en.get(name) and zh[name] != en[name], name


def test_simulated_printer_reports_its_configured_fault() -> None:
    printer = build_printer(PrinterSettings(driver="simulated", fault="cover_open"))
    with pytest.raises(CoverOpen):
        printer.print_receipt(RECEIPT)
    assert printer.health().message_key == "printer.cover_open"


def test_cups_without_a_scheduler_is_offline_not_silent() -> None:
    printer = CupsPrinter(PrinterSettings(driver="real", kind="cups", cups_queue="receipts"))
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterOffline):
        printer.print_receipt(RECEIPT)


def test_print_test_command_writes_a_pdf_receipt(demo_settings: Settings, tmp_path: Path) -> None:
    data = demo_settings.model_dump()
    data["devices"]["printer"].update({"driver": "real", "kind": "pdf", "pdf_dir": tmp_path / "out"})
    config = write_config(Settings(**data), tmp_path / "c.toml")
    result = subprocess.run(
        [sys.executable, "-m", "mydata_counter.cli", "hw", "print-test", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "out").glob("receipt-*.pdf"))) == 1
    status = subprocess.run(
        [sys.executable, "-m", "mydata_counter.cli", "hw", "printers", "--json", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert '"state": "ok"' in status.stdout
