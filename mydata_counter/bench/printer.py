"""``mydata-counter bench print``: render + send an 80 mm receipt to an ESC/POS printer on loopback."""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta

from counter_core.datacode import new_code
from counter_core.settings import PrinterSettings, Settings
from hardware.printer.capture import capture_printer
from hardware.printer.escpos_driver import EscposPrinter
from hardware.printer.receipt import sample_receipt
from hardware.printer.render_pdf import render_receipt_pdf
from mydata_counter.bench import BenchResult, check

RUNS = 30


def bench_print(_settings: Settings) -> BenchResult:
    """Render + send an 80 mm receipt (raster ESC/POS over TCP to the capture printer); PDF render."""
    receipt = sample_receipt(datetime.now() + timedelta(minutes=10), new_code())
    escpos_ms, pdf_ms = [], []
    with capture_printer() as capture:
        printer = EscposPrinter(PrinterSettings(driver="real", kind="escpos-network", port=capture.port))
        printer.print_receipt(receipt)  # warm caches (fonts)
        for _ in range(RUNS):
            started = time.perf_counter()
            printer.print_receipt(receipt)
            escpos_ms.append((time.perf_counter() - started) * 1000)
    render_receipt_pdf(receipt, 80)
    for _ in range(RUNS):
        started = time.perf_counter()
        render_receipt_pdf(receipt, 80)
        pdf_ms.append((time.perf_counter() - started) * 1000)
    escpos_ms.sort()
    return BenchResult(
        "print",
        {
            "escpos_80mm_p50": check(statistics.median(escpos_ms), "ms", at_most=300),
            "escpos_80mm_max": check(escpos_ms[-1], "ms", at_most=300),
            "pdf_80mm_p50": check(statistics.median(pdf_ms), "ms"),
        },
        notes=f"{RUNS} receipts; status query (DLE EOT ×3) + raster render + GS v 0 send + status after",
    )


benchmarks = {"print": bench_print}
