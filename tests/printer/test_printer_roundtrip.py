"""Receipts go out and come back readable: ESC/POS bytes captured on loopback and PDF rasterised by
pdftoppm both decode to the same code, from both barcodes."""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from counter_core.datacode import damm_check_digit, new_code, qr_payload
from counter_core.settings import PrinterSettings
from hardware.printer.capture import capture_printer
from hardware.printer.code128 import code128_modules
from hardware.printer.escpos_driver import EscposPrinter
from hardware.printer.receipt import Receipt, sample_receipt
from hardware.printer.render_pdf import render_receipt_pdf


def _symbols(image: Image.Image) -> set[tuple[str, str]]:
    import zxingcpp

    return {(r.format.name, r.text) for r in zxingcpp.read_barcodes(np.asarray(image.convert("L")))}


@pytest.fixture
def receipt() -> Receipt:
    return sample_receipt(datetime(2026, 11, 24, 16, 40), new_code())


@pytest.mark.parametrize("native", [False, True], ids=["raster", "native-codes"])
def test_escpos_job_captured_on_tcp_decodes_to_the_same_code(receipt: Receipt, native: bool) -> None:
    with capture_printer() as capture:
        printer = EscposPrinter(
            PrinterSettings(driver="real", kind="escpos-network", port=capture.port, native_codes=native)
        )
        printer.print_receipt(receipt)
        job = next(job for job in capture.wait_for_jobs(1) if job.data)
    assert job.complete
    # native: the capture printer draws the QR (GS ( k) and Code128 (GS k) as the printer would
    assert job.image is not None
    assert _symbols(job.image) >= {("QRCode", qr_payload(receipt.code)), ("Code128", receipt.code)}


@pytest.mark.parametrize("paper", [80, 58, 210])
def test_pdf_rasterised_by_pdftoppm_decodes_both_barcodes(receipt: Receipt, paper: int, tmp_path: Path) -> None:
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(render_receipt_pdf(receipt, paper))  # type: ignore[arg-type]
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    assert _symbols(Image.open(tmp_path / "page.png")) >= {
        ("QRCode", qr_payload(receipt.code)),
        ("Code128", receipt.code),
    }


def test_pdf_embeds_the_cjk_truetype_font(receipt: Receipt, tmp_path: Path) -> None:
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(render_receipt_pdf(receipt, 80))
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    line = next(line for line in fonts.splitlines() if "WenQuanYiZenHei" in line)
    assert "TrueType" in line and " yes " in line  # embedded
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "此條碼於 16:40 前有效" in text and "花蓮縣政府" in text


def test_code128_reads_back_for_every_leading_digit_pair() -> None:
    """python-barcode dropped a leading "99" (1 code in 100 printed a 14-digit Code128); ours does not."""
    for pair in range(100):
        body = f"{pair:02d}4821093755162"
        code = body + damm_check_digit(body)
        modules = "0" * 10 + code128_modules(code) + "0" * 10
        row = np.array([0 if module == "1" else 255 for module in modules], dtype=np.uint8).repeat(3)
        assert _symbols(Image.fromarray(np.tile(row, (60, 1)))) == {("Code128", code)}, code
