"""The ESC/POS driver against the capture printer on real TCP: native-code jobs carry the same receipt as
raster jobs (the layout's every block), every job starts with ESC @, and status bytes nobody asked for
(a late answer, a stale byte waiting since the last host) are never read as the printer's state."""

from __future__ import annotations

import select
from datetime import datetime

import numpy as np
import pytest
from PIL import Image, ImageChops

from counter_core.datacode import new_code, qr_payload
from counter_core.settings import PrinterSettings
from hardware.printer import escpos_commands
from hardware.printer.capture import STATUS_BYTES, Job, Symbol, capture_printer
from hardware.printer.escpos_driver import EscposPrinter, open_printer, read_status
from hardware.printer.interface import PrinterStatus
from hardware.printer.receipt import Receipt, sample_receipt

RECEIPT = sample_receipt(datetime(2026, 11, 24, 16, 40), new_code())


def _settings(port: int, *, native: bool = False, paper: int = 80) -> PrinterSettings:
    return PrinterSettings(driver="real", kind="escpos-network", port=port, native_codes=native, paper_width_mm=paper)


def _print(receipt: Receipt, *, native: bool, paper: int = 80) -> Job:
    with capture_printer() as capture:
        EscposPrinter(_settings(capture.port, native=native, paper=paper)).print_receipt(receipt)
        return capture.wait_for_jobs(1)[0]


def _symbols(image: Image.Image) -> set[tuple[str, str]]:
    import zxingcpp

    return {(r.format.name, r.text) for r in zxingcpp.read_barcodes(np.asarray(image.convert("L")))}


@pytest.mark.parametrize("paper", [80, 58])
def test_native_codes_job_prints_the_same_receipt_as_the_raster_job(paper: int) -> None:
    raster, native = _print(RECEIPT, native=False, paper=paper), _print(RECEIPT, native=True, paper=paper)
    # The symbols went as printer commands (code set C digit pairs, EC level M) ...
    assert [(s.format, s.text) for s in native.symbols] == [
        ("QRCode", qr_payload(RECEIPT.code)),
        ("Code128", RECEIPT.code),
    ]
    assert [type(part) for part in native.parts] == [Image.Image, Symbol, Image.Image, Symbol, Image.Image]
    # ... and the paper is the raster receipt's, dot for dot: every text, rule and space block is there,
    # bilingual, in layout order (the strips are the layout drawn once, cut around the symbols).
    assert raster.image is not None and native.image is not None
    assert native.image.size == raster.image.size
    assert ImageChops.difference(native.image, raster.image).getbbox() is None
    assert _symbols(native.image) >= {("QRCode", qr_payload(RECEIPT.code)), ("Code128", RECEIPT.code)}
    for encoding in ("utf-8", "big5", "gb18030"):  # Han text never goes as characters
        assert "有效".encode(encoding) not in native.data


@pytest.mark.parametrize("native", [False, True], ids=["raster", "native-codes"])
def test_every_job_starts_by_initialising_the_printer(native: bool) -> None:
    assert _print(RECEIPT, native=native).data.startswith(escpos_commands.INITIALIZE)


def test_a_late_status_reply_after_the_job_is_not_read_as_cover_open() -> None:
    """A printer answers a query late, just before its answer to DLE EOT 2 (offline cause) after the
    job: the late byte says "cover open"; reading the first byte of the reply was a false fault."""
    with capture_printer() as capture:
        capture.late_reply = (2, bytes((STATUS_BYTES["cover_open"][1],)))
        printer = EscposPrinter(_settings(capture.port))
        printer.print_receipt(RECEIPT)
        printer.print_receipt(RECEIPT)
        jobs = capture.wait_for_jobs(2)
    assert [job.complete for job in jobs] == [True, True]


def test_stale_status_bytes_waiting_on_the_line_are_drained_before_each_query() -> None:
    """Bytes already waiting when the driver asks (here: sent on connect, as a USB or serial printer keeps
    an unread answer from the last job; this one says "offline") are dropped, so each answer belongs to
    its own query."""
    with capture_printer("paper_low") as capture:
        capture.stale_on_connect = bytes((STATUS_BYTES["offline"][0], 0x12))
        printer = open_printer(_settings(capture.port))
        try:
            assert select.select([printer.device], [], [], 10)[0]  # the stale bytes have arrived
            assert read_status(printer) is PrinterStatus.PAPER_LOW
            assert read_status(printer) is PrinterStatus.PAPER_LOW  # and the stream stays in step
        finally:
            printer.close()


def test_only_status_shaped_bytes_count_as_answers() -> None:
    assert all(escpos_commands.is_status_reply(byte) for answers in STATUS_BYTES.values() for byte in answers)
    # automatic status back starts 0xx1xx00; a printer ID or stray data byte is not 0xx1xx10
    assert not any(escpos_commands.is_status_reply(byte) for byte in (0x14, 0x00, 0x0F, 0x20, 0x93))
