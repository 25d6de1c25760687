"""The CUPS driver against a real scheduler: ``cupsd`` started by the fixture with a capture backend.
The job is followed to completion, the document the printer got is the receipt PDF (both barcodes
decode after pdftoppm), and a failing or disabled queue is a typed error, never silent."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from counter_core.datacode import new_code, qr_payload
from counter_core.settings import PrinterSettings
from hardware.printer.cups_driver import CupsPrinter
from hardware.printer.interface import PrinterOffline, PrinterStatus, PrintFailed
from hardware.printer.receipt import sample_receipt
from tests.printer.cups_rig import CupsRig, cupsd_available, running_cupsd

pytestmark = pytest.mark.skipif(
    not cupsd_available(), reason="cupsd or ipptool missing (Debian packages cups, cups-ipp-utils)"
)
RECEIPT = sample_receipt(datetime(2026, 11, 24, 16, 40), new_code())


@pytest.fixture(scope="module")
def cups() -> Iterator[CupsRig]:
    with running_cupsd() as rig:
        rig.add_queue("receipts")
        rig.add_queue("jammed", fail=True)
        rig.add_queue("stopped")
        subprocess.run(["cupsdisable", "stopped"], env=rig.env(), check=True, timeout=10)
        yield rig


@pytest.fixture(autouse=True)
def _cups_server(cups: CupsRig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUPS_SERVER", str(cups.socket))


def _printer(queue: str) -> CupsPrinter:
    return CupsPrinter(PrinterSettings(driver="real", kind="cups", cups_queue=queue))


def test_cups_job_completes_and_the_printed_pdf_decodes(cups: CupsRig, tmp_path: Path) -> None:
    printer = _printer("receipts")
    assert printer.status() is PrinterStatus.READY
    printer.print_receipt(RECEIPT)
    documents = list(cups.out_dir.glob("job-*.pdf"))
    assert len(documents) == 1 and documents[0].read_bytes().startswith(b"%PDF")
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-singlefile", str(documents[0]), str(tmp_path / "page")], check=True
    )
    import zxingcpp

    found = {
        (r.format.name, r.text)
        for r in zxingcpp.read_barcodes(np.asarray(Image.open(tmp_path / "page.png").convert("L")))
    }
    assert found >= {("QRCode", qr_payload(RECEIPT.code)), ("Code128", RECEIPT.code)}


def test_cups_job_aborted_by_the_backend_is_a_failed_print() -> None:
    with pytest.raises(PrintFailed) as raised:
        _printer("jammed").print_receipt(RECEIPT)
    assert raised.value.message("zh-TW") != raised.value.message("en")


def test_disabled_cups_queue_is_offline() -> None:
    printer = _printer("stopped")
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterOffline):
        printer.print_receipt(RECEIPT)
    assert printer.health().state == "fail"


def test_unknown_cups_queue_is_offline() -> None:
    assert _printer("no-such-queue").status() is PrinterStatus.OFFLINE
