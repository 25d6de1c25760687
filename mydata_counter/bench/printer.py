"""``mydata-counter bench printer``: render + send an 80 mm receipt to an ESC/POS printer on loopback."""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta

from counter_core.datacode import new_code
from counter_core.settings import PrinterSettings, Settings
from hardware.printer.capture import capture_printer
from hardware.printer.escpos_driver import EscposPrinter
from hardware.printer.receipt import Receipt, sample_receipt
from hardware.printer.render_pdf import render_receipt_pdf
from mydata_counter.bench import BenchResult, check

RUNS = 30


def _escpos_ms(receipt: Receipt, *, native_codes: bool) -> list[float]:
    """Milliseconds per receipt, sorted, to the capture printer over TCP (after one warm-up job)."""
    times = []
    with capture_printer() as capture:
        settings = PrinterSettings(driver="real", kind="escpos-network", port=capture.port, native_codes=native_codes)
        printer = EscposPrinter(settings)
        printer.print_receipt(receipt)  # warm caches (fonts)
        for _ in range(RUNS):
            started = time.perf_counter()
            printer.print_receipt(receipt)
            times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


def bench_printer(_settings: Settings) -> BenchResult:
    """Render + send an 80 mm receipt (ESC/POS over TCP to the capture printer: raster, native codes); PDF."""
    receipt = sample_receipt(datetime.now() + timedelta(minutes=10), new_code())
    raster_ms = _escpos_ms(receipt, native_codes=False)
    native_ms = _escpos_ms(receipt, native_codes=True)
    pdf_ms = []
    render_receipt_pdf(receipt, 80)
    for _ in range(RUNS):
        started = time.perf_counter()
        render_receipt_pdf(receipt, 80)
        pdf_ms.append((time.perf_counter() - started) * 1000)
    return BenchResult(
        "printer",
        {
            "escpos_80mm_p50": check(statistics.median(raster_ms), "ms", at_most=300),
            "escpos_80mm_max": check(raster_ms[-1], "ms", at_most=300),
            "escpos_80mm_native_codes_p50": check(statistics.median(native_ms), "ms", at_most=300),
            "escpos_80mm_native_codes_max": check(native_ms[-1], "ms", at_most=300),
            "pdf_80mm_p50": check(statistics.median(pdf_ms), "ms"),
        },
        notes=f"{RUNS} receipts each; connect + DLE EOT ×3 (each after a drain) + ESC @ + render + send "
        "(one GS v 0 image, or strips + GS ( k QR + GS k Code128) + cut + DLE EOT ×3",
    )


benchmarks = {"printer": bench_printer}
