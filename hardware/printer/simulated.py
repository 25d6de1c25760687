"""A simulated receipt printer: takes time like a thermal printer, reports configured faults, and keeps
the last receipt image in memory (never on disk: it carries a data code)."""

from __future__ import annotations

import threading
import time

from PIL import Image

from counter_core.settings import PrinterSettings
from hardware.health import DeviceHealth
from hardware.printer.interface import ERROR_FOR_STATUS, PrinterStatus, health_from_status
from hardware.printer.receipt import Receipt
from hardware.printer.render_raster import WIDTH_PX, render_receipt_image

PRINT_TIME_S = 0.4  # a thermal printer needs a moment for ~10 cm of receipt


class SimulatedPrinter:
    def __init__(self, settings: PrinterSettings, print_time_s: float = PRINT_TIME_S) -> None:
        self.settings = settings
        self._status = PrinterStatus.READY if settings.fault == "none" else PrinterStatus(settings.fault)
        self.print_time_s = print_time_s
        self.printed: list[Image.Image] = []
        self._lock = threading.Lock()

    def status(self) -> PrinterStatus:
        return self._status

    def print_receipt(self, receipt: Receipt) -> None:
        with self._lock:
            if self._status in ERROR_FOR_STATUS:
                raise ERROR_FOR_STATUS[self._status]()
            image = render_receipt_image(receipt, WIDTH_PX.get(self.settings.paper_width_mm, WIDTH_PX[80]))
            time.sleep(self.print_time_s)
            self.printed = [*self.printed[-4:], image]

    def health(self) -> DeviceHealth:
        return health_from_status("simulated", self._status)

    def close(self) -> None:
        self.printed.clear()
