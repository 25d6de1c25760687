"""The CUPS driver against a real scheduler: ``cupsd`` started by the fixture with a capture backend.
The job is followed to completion, the document the printer got is the receipt PDF (both barcodes
decode after pdftoppm), and a failing or disabled queue is a typed error, never silent. A job that
cannot print now is cancelled, so it never prints later for the next citizen."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from counter_core.datacode import new_code, qr_payload
from counter_core.settings import PrinterSettings
from hardware.printer.cups_driver import CupsPrinter, job_state
from hardware.printer.interface import PrinterOffline, PrinterStatus, PrintFailed
from hardware.printer.receipt import sample_receipt
from mydata_counter.servicerunner import free_port
from tests.printer.cups_rig import CupsRig, cupsd_available, running_cupsd

pytestmark = pytest.mark.skipif(
    not cupsd_available(), reason="cupsd or ipptool missing (Debian packages cups, cups-ipp-utils)"
)
RECEIPT = sample_receipt(datetime(2026, 11, 24, 16, 40), new_code())
AWAY_PORT = free_port()  # the printer behind the "away" queue: nothing listens there until it "comes back"
SHORT_WAIT_S = 3.0  # the driver's wait for these tests (10 s in service): the job never prints anyway


@pytest.fixture(scope="module")
def cups() -> Iterator[CupsRig]:
    with running_cupsd() as rig:
        rig.add_queue("receipts")
        rig.add_queue("jammed", fail=True)
        rig.add_queue("jammed-stops", fail=True, error_policy="stop-printer")
        rig.add_queue("away", uri=f"socket://127.0.0.1:{AWAY_PORT}")
        rig.add_queue("stopped")
        subprocess.run(["cupsdisable", "stopped"], env=rig.env(), check=True, timeout=10)
        yield rig


@pytest.fixture(autouse=True)
def _cups_server(cups: CupsRig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUPS_SERVER", str(cups.socket))


def _printer(queue: str, job_timeout_s: float = 10.0) -> CupsPrinter:
    return CupsPrinter(PrinterSettings(driver="real", kind="cups", cups_queue=queue), job_timeout_s)


def _queued(cups: CupsRig, queue: str) -> str:
    return subprocess.run(["lpstat", "-o", queue], env=cups.env(), capture_output=True, text=True).stdout


def _bilingual(error: PrintFailed) -> None:
    assert error.message("zh-TW") and error.message("en") and error.message("zh-TW") != error.message("en")


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


def test_cups_job_aborted_by_the_backend_is_a_failed_print_with_the_reason() -> None:
    with pytest.raises(PrintFailed) as raised:
        _printer("jammed").print_receipt(RECEIPT)
    _bilingual(raised.value)
    assert "aborted" in str(raised.value.params["detail"]) and "printer jammed" in str(raised.value.params["detail"])


def test_cups_job_to_an_unreachable_printer_is_cancelled_and_never_prints_later(cups: CupsRig) -> None:
    """The socket backend retries an unreachable printer forever; the job used to stay queued and
    print when the printer came back — a citizen's receipt in the next citizen's hands."""
    with pytest.raises(PrintFailed) as raised:
        _printer("away", SHORT_WAIT_S).print_receipt(RECEIPT)
    _bilingual(raised.value)
    detail = str(raised.value.params["detail"])
    job = detail.split()[1]
    assert "cancelled (not printed after" in detail and "no reason given" not in detail
    assert _queued(cups, "away") == ""
    assert job_state(job) is not None and job_state(job).state == "canceled"  # type: ignore[union-attr]

    # The printer comes back: the next receipt prints, and it is the only document the printer gets.
    received: list[bytes] = []
    with socket.create_server(("127.0.0.1", AWAY_PORT)) as server:
        server.settimeout(30)

        def printer_on_tcp() -> None:
            connection, _ = server.accept()
            with connection:
                received.append(b"".join(iter(lambda: connection.recv(65536), b"")))

        thread = threading.Thread(target=printer_on_tcp)
        thread.start()
        _printer("away").print_receipt(RECEIPT)
        thread.join(timeout=30)
        server.settimeout(0.5)
        with pytest.raises(TimeoutError):  # no second connection is waiting: the cancelled job is gone
            server.accept()
    assert len(received) == 1 and received[0].startswith(b"%PDF")


def test_cups_queue_stopped_by_a_failing_printer_cancels_the_job(cups: CupsRig) -> None:
    """With CUPS's default error policy a failed job stops the queue and waits in it: the driver does
    not wait for the timeout, it cancels at once so re-enabling the queue cannot print it."""
    with pytest.raises(PrintFailed) as raised:
        _printer("jammed-stops").print_receipt(RECEIPT)
    _bilingual(raised.value)
    detail = str(raised.value.params["detail"])
    assert "cancelled (queue stopped)" in detail and "printer jammed" in detail
    assert _queued(cups, "jammed-stops") == ""


def test_disabled_cups_queue_is_offline() -> None:
    printer = _printer("stopped")
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterOffline):
        printer.print_receipt(RECEIPT)
    assert printer.health().state == "fail"


def test_unknown_cups_queue_is_offline() -> None:
    assert _printer("no-such-queue").status() is PrinterStatus.OFFLINE


def test_cups_prints_the_signed_qr_that_reads_back_exactly(cups: CupsRig, tmp_path: Path) -> None:
    import time

    import zxingcpp

    from counter_core.signed_code import sample_signed_text

    code, now = new_code(), int(time.time())
    receipt = sample_receipt(datetime(2026, 11, 24, 16, 40), code, sample_signed_text(code, now, now + 600))
    before = set(cups.out_dir.glob("job-*.pdf"))
    _printer("receipts").print_receipt(receipt)
    (document,) = set(cups.out_dir.glob("job-*.pdf")) - before
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(document), str(tmp_path / "page")], check=True)
    page = np.asarray(Image.open(tmp_path / "page.png").convert("L"))
    found = {(r.format.name, r.text) for r in zxingcpp.read_barcodes(page)}
    assert found >= {("QRCode", receipt.qr), ("Code128", code)}
