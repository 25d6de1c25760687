"""ESC/POS thermal printers via python-escpos: TCP 9100, USB or serial.

The receipt goes as a raster image (GS v 0) by default, which prints the same on every printer whatever
its code pages (python-escpos would send Han text as GB18030, wrong for Taiwan's Big5 printers);
``native_codes`` sends the QR and Code128 as printer commands instead, text as image.
Status is read in real time with DLE EOT (printer, offline cause, paper sensor) before each job.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from escpos.escpos import Escpos

from counter_core.settings import PrinterSettings
from hardware.health import DeviceHealth
from hardware.printer.interface import (
    ERROR_FOR_STATUS,
    PrinterOffline,
    PrinterStatus,
    PrintFailed,
    health_from_status,
)
from hardware.printer.receipt import Receipt
from hardware.printer.render_raster import WIDTH_PX, render_receipt_image

log = logging.getLogger(__name__)

DLE_EOT_PRINTER = b"\x10\x04\x01"
DLE_EOT_OFFLINE_CAUSE = b"\x10\x04\x02"
DLE_EOT_PAPER = b"\x10\x04\x04"


def status_from_bytes(printer: int, offline_cause: int, paper: int) -> PrinterStatus:
    """Decode the three DLE EOT answers (ESC/POS: bit 3 of n=1 offline; n=2 bit 2 cover open,
    bit 5 stopped for paper end; n=4 bits 2-3 paper near end, bits 5-6 paper end)."""
    if offline_cause & 0x04:
        return PrinterStatus.COVER_OPEN
    if paper & 0x60 or offline_cause & 0x20:
        return PrinterStatus.PAPER_OUT
    if printer & 0x08:
        return PrinterStatus.OFFLINE
    if paper & 0x0C:
        return PrinterStatus.PAPER_LOW
    return PrinterStatus.READY


def _connector(settings: PrinterSettings) -> Escpos:
    printer = _device(settings)
    # Tell python-escpos the paper's printable width so images are checked and centred against it.
    media = printer.profile.profile_data.setdefault("media", {})
    media["width"] = {"mm": settings.paper_width_mm - 8, "pixels": WIDTH_PX.get(settings.paper_width_mm, 576)}
    return printer


def _device(settings: PrinterSettings) -> Escpos:
    profile = {"profile": "default"}
    if settings.kind == "escpos-network":
        from escpos.printer import Network

        return Network(settings.host, settings.port, timeout=5, **profile)
    if settings.kind == "escpos-usb":
        from escpos.printer import Usb

        return Usb(settings.usb_vendor_id or 0, settings.usb_product_id or 0, **profile)
    from escpos.printer import Serial

    return Serial(settings.serial_device, baudrate=settings.serial_baudrate, timeout=2, **profile)


class EscposPrinter:
    def __init__(self, settings: PrinterSettings) -> None:
        self.settings = settings
        self.width_px = WIDTH_PX.get(settings.paper_width_mm, WIDTH_PX[80])

    def _open(self) -> Escpos:
        printer = _connector(self.settings)
        try:
            printer.open()
        except Exception as exc:  # connection refused, no such USB device, serial port missing
            raise PrinterOffline(detail=type(exc).__name__) from exc
        return printer

    def _query(self, printer: Escpos, command: bytes) -> int:
        answer: bytes = printer.query_status(command)
        if not answer:
            raise PrinterOffline(detail="no status answer")
        return answer[0]

    def _status(self, printer: Escpos) -> PrinterStatus:
        try:
            return status_from_bytes(
                self._query(printer, DLE_EOT_PRINTER),
                self._query(printer, DLE_EOT_OFFLINE_CAUSE),
                self._query(printer, DLE_EOT_PAPER),
            )
        except (OSError, TimeoutError) as exc:
            raise PrinterOffline(detail=type(exc).__name__) from exc

    def status(self) -> PrinterStatus:
        try:
            printer = self._open()
        except PrinterOffline:
            return PrinterStatus.OFFLINE
        try:
            return self._status(printer)
        except PrinterOffline:
            return PrinterStatus.OFFLINE
        finally:
            _close(printer)

    def print_receipt(self, receipt: Receipt) -> None:
        printer = self._open()
        try:
            status = self._status(printer)
            if status in ERROR_FOR_STATUS:
                raise ERROR_FOR_STATUS[status]()
            try:
                if self.settings.native_codes:
                    self._native(printer, receipt)
                else:
                    printer.image(render_receipt_image(receipt, self.width_px), center=True)
                printer.cut()
                # A connection dropped mid-job shows up on the next exchange: ask once the job is sent.
                after = self._status(printer)
            except (OSError, TimeoutError, PrinterOffline) as exc:
                log.warning("printer: job failed (%s)", type(exc).__name__)
                raise PrintFailed(detail=type(exc).__name__) from exc
            if after in ERROR_FOR_STATUS:  # e.g. the paper ran out during this receipt
                raise ERROR_FOR_STATUS[after]()
        finally:
            _close(printer)

    def _native(self, printer: Escpos, receipt: Receipt) -> None:
        from counter_core.datacode import grouped, qr_payload

        header = render_receipt_image(receipt, self.width_px)
        printer.image(header.crop((0, 0, header.width, min(header.height, self.width_px // 3))), center=True)
        printer.set(align="center")
        printer.qr(qr_payload(receipt.code), size=8, native=True)
        printer.barcode("{C" + receipt.code, "CODE128", height=80, width=3, pos="OFF", function_type="B")
        printer.set(align="center", double_height=True, double_width=True)
        printer.textln(grouped(receipt.code))
        printer.set(align="left")
        printer.textln(f"valid until {receipt.expires_at:%H:%M}")

    def health(self) -> DeviceHealth:
        return health_from_status(
            f"real/{self.settings.kind}",
            self.status(),
            f"{self.settings.host}:{self.settings.port}" if self.settings.kind == "escpos-network" else "",
        )

    def close(self) -> None:
        pass


def _close(printer: Any) -> None:
    with contextlib.suppress(Exception):  # closing a broken connection must not hide the real error
        printer.close()
