"""The signed QR (``MYDATA2:``, version 9-10) on every receipt size: ESC/POS 80 and 58 mm (raster and the
printer's own QR command), PDF 80/58 mm and A4, CUPS. Each comes back from the paper as the exact text the
broker signed, the Code128 still carries the 16 digits alone, and the larger symbol keeps modules as big as
the unsigned QR's were, so the camera reads it from as far away."""

from __future__ import annotations

import subprocess
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from broker_client.models import IssuedCode
from counter_core.datacode import new_code, qr_payload
from counter_core.settings import PrinterSettings
from counter_core.signed_code import sample_signed_text
from hardware.printer.capture import Job, capture_printer
from hardware.printer.escpos_driver import EscposPrinter
from hardware.printer.receipt import QrBlock, Receipt, layout, sample_receipt
from hardware.printer.render_pdf import render_receipt_pdf
from hardware.printer.render_raster import WIDTH_PX, draw_receipt

EXPIRES = datetime(2026, 11, 24, 16, 40)


def _signed_receipt() -> Receipt:
    code, now = new_code(), int(time.time())
    return sample_receipt(EXPIRES, code, sample_signed_text(code, now, now + 600))


def _symbols(image: Image.Image) -> set[tuple[str, str]]:
    import zxingcpp

    return {(r.format.name, r.text) for r in zxingcpp.read_barcodes(np.asarray(image.convert("L")))}


def _print(receipt: Receipt, *, native: bool, paper: int) -> Job:
    with capture_printer() as capture:
        settings = PrinterSettings(
            driver="real", kind="escpos-network", port=capture.port, native_codes=native, paper_width_mm=paper
        )
        EscposPrinter(settings).print_receipt(receipt)
        return next(job for job in capture.wait_for_jobs(1) if job.data)


@pytest.mark.parametrize("paper", [80, 58])
@pytest.mark.parametrize("native", [False, True], ids=["raster", "native-codes"])
def test_escpos_receipt_gives_back_the_signed_text_exactly_and_the_digits_in_code128(native: bool, paper: int) -> None:
    receipt = _signed_receipt()
    assert receipt.qr.startswith("MYDATA2:") and len(receipt.qr) > 200
    job = _print(receipt, native=native, paper=paper)
    assert job.complete and job.image is not None
    if native:  # the printer drew the QR from GS ( k: the whole signed text went as the command's data
        assert [(s.format, s.text) for s in job.symbols] == [("QRCode", receipt.qr), ("Code128", receipt.code)]
    assert _symbols(job.image) >= {("QRCode", receipt.qr), ("Code128", receipt.code)}


@pytest.mark.parametrize("paper", [80, 58, 210])
def test_pdf_receipt_rasterised_gives_back_the_signed_text_exactly(paper: int, tmp_path: Path) -> None:
    receipt = _signed_receipt()
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(render_receipt_pdf(receipt, paper))  # type: ignore[arg-type]
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    assert _symbols(Image.open(tmp_path / "page.png")) >= {("QRCode", receipt.qr), ("Code128", receipt.code)}


@pytest.mark.parametrize("paper,smallest_dots", [(80, 8), (58, 5)])
def test_the_larger_qr_keeps_modules_as_big_as_the_unsigned_qr(paper: int, smallest_dots: int) -> None:
    """80 mm: 8 dots (1 mm) a module as before; 58 mm: 5-6 dots (the unsigned QR had 6)."""
    signed, unsigned = _signed_receipt(), sample_receipt(EXPIRES, new_code())
    signed_span = next(s for s in draw_receipt(signed, WIDTH_PX[paper]).codes if isinstance(s.block, QrBlock))
    unsigned_span = next(s for s in draw_receipt(unsigned, WIDTH_PX[paper]).codes if isinstance(s.block, QrBlock))
    assert signed_span.module_px >= smallest_dots
    assert unsigned_span.module_px <= 8 and signed_span.module_px >= unsigned_span.module_px - 1
    assert signed_span.height_px > unsigned_span.height_px  # the larger symbol, same module size
    blocks = [b for b in layout(signed, narrow=paper == 58) if isinstance(b, QrBlock)]
    assert [b.payload for b in blocks] == [signed.qr]


def test_a_receipt_without_a_signed_text_prints_the_unsigned_qr_as_before() -> None:
    receipt = sample_receipt(EXPIRES, new_code())
    assert receipt.qr == qr_payload(receipt.code)
    assert _symbols(draw_receipt(receipt).image) >= {("QRCode", qr_payload(receipt.code)), ("Code128", receipt.code)}


def test_the_kiosk_prints_the_brokers_qr_text_only_when_it_carries_the_printed_code() -> None:
    from kiosk.service import _receipt

    code, other, now = new_code(), new_code(), int(time.time())
    base = {
        "code": code, "expires_at": "2026-11-24T08:40:00Z", "agency": {"zh-TW": "花蓮縣政府", "en": "Hualien"},
        "service": {"zh-TW": "停車證", "en": "Parking"}, "dataset_names": [], "support_line": "0800",
    }  # fmt: skip
    for payload, printed in (
        (sample_signed_text(code, now, now + 600), sample_signed_text(code, now, now + 600)),
        (qr_payload(code), qr_payload(code)),
        (sample_signed_text(other, now, now + 600), qr_payload(code)),  # another code's QR: never printed
        ("MYDATA2:garbage", qr_payload(code)),
    ):
        receipt = _receipt(IssuedCode.model_validate({**base, "qr_payload": payload}), EXPIRES)
        assert receipt.qr == printed
