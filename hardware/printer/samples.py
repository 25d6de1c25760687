"""The sample receipts in ``docs/receipts/``, drawn by the renderers the printers use.

Deterministic — a fixed code and expiry, fixed resolutions — so regenerating them after a layout change
shows only that change in the diff. PDFs are rasterised with ``pdftoppm`` (Debian ``poppler-utils``) at
150 dpi, enough for the Code128 to decode from the picture as it would from paper.
"""

from __future__ import annotations

import subprocess
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Literal

from counter_core.signed_code import sample_signed_text
from hardware.printer.receipt import sample_receipt
from hardware.printer.render_pdf import render_receipt_pdf
from hardware.printer.render_raster import WIDTH_PX, render_receipt_image

SAMPLE_CODE = "4821093755162046"  # a valid code (Damm check digit) that reads like a real one
SAMPLE_EXPIRES = datetime(2026, 11, 24, 16, 40)
TAIPEI = timezone(timedelta(hours=8))
PDF_DPI = 150
Paper = Literal[58, 80, 210]
# file name → (renderer, paper width in mm); thermal = the raster ESC/POS printers get, dot for dot
SAMPLES: dict[str, tuple[Literal["thermal", "pdf"], Paper]] = {
    "thermal-80mm.png": ("thermal", 80),
    "thermal-58mm.png": ("thermal", 58),
    "pdf-80mm.png": ("pdf", 80),
    "pdf-58mm.png": ("pdf", 58),
    "pdf-a4.png": ("pdf", 210),
}


def sample_qr_text() -> str:
    """The samples' signed QR: the sample code's claims signed with the fixed sample key (trusted by no
    station), so the pictures show the QR as kiosks print it and stay the same from run to run."""
    issued = int(SAMPLE_EXPIRES.replace(tzinfo=TAIPEI).timestamp()) - 600  # the same on any machine's zone
    return sample_signed_text(SAMPLE_CODE, issued, issued + 600)


def write_samples(folder: Path) -> list[Path]:
    """Write every sample into ``folder`` (created if missing); returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    receipt = sample_receipt(SAMPLE_EXPIRES, SAMPLE_CODE, sample_qr_text())
    written = []
    for name, (kind, paper) in SAMPLES.items():
        target = folder / name
        if kind == "thermal":
            render_receipt_image(receipt, WIDTH_PX[paper]).save(target, optimize=True)
        else:
            _pdf_to_png(render_receipt_pdf(receipt, paper), target)
        written.append(target)
    return written


def _pdf_to_png(pdf: bytes, target: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="mydata-receipt-") as work:
        source = Path(work) / "receipt.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(PDF_DPI), "-singlefile", str(source), str(Path(work) / "page")],
            check=True,
            capture_output=True,
            timeout=60,
        )
        target.write_bytes((Path(work) / "page.png").read_bytes())
