"""A "printer" that writes each receipt as a PDF into a folder (demo; office workflows).

Note: the PDF carries the data code, as paper does; the folder belongs on the print server, not on
a kiosk that must keep no personal data.
"""

from __future__ import annotations

import os
from datetime import datetime

from counter_core.settings import PrinterSettings
from hardware.health import DeviceHealth
from hardware.printer.interface import PrinterOffline, PrinterStatus, PrintFailed, health_from_status
from hardware.printer.receipt import Receipt
from hardware.printer.render_pdf import render_receipt_pdf


class PdfFolderPrinter:
    def __init__(self, settings: PrinterSettings) -> None:
        self.settings = settings
        self.folder = settings.pdf_dir

    def status(self) -> PrinterStatus:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return PrinterStatus.OFFLINE
        return PrinterStatus.READY if os.access(self.folder, os.W_OK) else PrinterStatus.OFFLINE

    def print_receipt(self, receipt: Receipt) -> None:
        if self.status() is not PrinterStatus.READY:
            raise PrinterOffline(detail=str(self.folder))
        name = f"receipt-{datetime.now():%Y%m%d-%H%M%S-%f}.pdf"
        try:
            (self.folder / name).write_bytes(render_receipt_pdf(receipt, self.settings.paper_width_mm))
        except OSError as exc:
            raise PrintFailed(detail=type(exc).__name__) from exc

    def health(self) -> DeviceHealth:
        return health_from_status("real/pdf", self.status(), str(self.folder))

    def close(self) -> None:
        pass
