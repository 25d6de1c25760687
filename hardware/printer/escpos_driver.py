"""ESC/POS thermal printers via python-escpos: TCP 9100, USB or serial.

The receipt goes as a raster image (GS v 0) by default, which prints the same on every printer whatever
its code pages (python-escpos would send Han text as GB18030, wrong for Taiwan's Big5 printers);
``native_codes`` sends the same layout with the QR and Code128 as printer commands (GS ( k, GS k) and
everything else as raster strips (``render_raster.RasterReceipt.parts``).

Every job starts with ESC @, so modes a broken earlier job left behind (alignment, a half-sent command)
are reset. Status is read in real time with DLE EOT (printer, offline cause, paper sensor) before and
after each job, and each query first drains whatever the printer sent unasked — a late answer to an
earlier query, an answer to a DLE EOT sequence found inside image data, automatic status back — so such
a reply is never read as the answer (one extra byte used to shift the stream and read as "cover open").
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
from typing import Any

from escpos.escpos import Escpos

from counter_core.settings import PrinterSettings
from hardware.health import DeviceHealth
from hardware.printer import escpos_commands as cmd
from hardware.printer.interface import (
    ERROR_FOR_STATUS,
    PrinterOffline,
    PrinterStatus,
    PrintFailed,
    health_from_status,
)
from hardware.printer.receipt import BarcodeBlock, Receipt
from hardware.printer.render_raster import WIDTH_PX, CodeSpan, draw_receipt

log = logging.getLogger(__name__)

DLE_EOT_PRINTER = cmd.DLE_EOT_PRINTER
DLE_EOT_OFFLINE_CAUSE = cmd.DLE_EOT_OFFLINE_CAUSE
DLE_EOT_PAPER = cmd.DLE_EOT_PAPER
NETWORK_TIMEOUT_S = 5.0  # connect, and each status answer
MAX_READS_PER_QUERY = 4  # reads that bring only non-status bytes before the printer counts as silent


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


def connector(settings: PrinterSettings) -> Escpos:
    """The python-escpos connection for the configured kind, not yet opened."""
    printer = _device(settings)
    # Tell python-escpos the paper's printable width so images are checked and centred against it.
    media = printer.profile.profile_data.setdefault("media", {})
    media["width"] = {"mm": settings.paper_width_mm - 8, "pixels": WIDTH_PX.get(settings.paper_width_mm, 576)}
    return printer


def open_printer(settings: PrinterSettings) -> Escpos:
    """The connection, open. TCP is connected here: python-escpos's ``Network.open`` drops the socket of
    a refused connection without closing it (a ResourceWarning, an error under the test settings)."""
    printer = connector(settings)
    if settings.kind == "escpos-network":
        printer.device = socket.create_connection((settings.host, settings.port), timeout=NETWORK_TIMEOUT_S)
    else:
        printer.open()
    return printer


def _device(settings: PrinterSettings) -> Escpos:
    profile = {"profile": "default"}
    if settings.kind == "escpos-network":
        from escpos.printer import Network

        return Network(settings.host, settings.port, timeout=NETWORK_TIMEOUT_S, **profile)
    if settings.kind == "escpos-usb":
        from escpos.printer import Usb

        return Usb(settings.usb_vendor_id or 0, settings.usb_product_id or 0, **profile)
    from escpos.printer import Serial

    return Serial(settings.serial_device, baudrate=settings.serial_baudrate, timeout=2, **profile)


def drain(printer: Escpos) -> int:
    """Discard every byte the printer has sent and nobody asked for yet; returns how many."""
    device = printer.device
    dropped = 0
    if isinstance(device, socket.socket):  # a socket with a timeout waits even with MSG_DONTWAIT: poll
        while select.select([device], [], [], 0)[0]:
            chunk = device.recv(4096)
            if not chunk:
                raise ConnectionResetError("printer closed the connection")
            dropped += len(chunk)
        return dropped
    if type(device).__module__.startswith("serial"):  # pyserial: the driver keeps its own buffer
        dropped = int(device.in_waiting)
        device.reset_input_buffer()
        return dropped
    if type(device).__module__.startswith("usb"):  # pyusb: read the IN endpoint until it times out
        with contextlib.suppress(Exception):
            while chunk := device.read(printer.in_ep, 64, timeout=10):
                dropped += len(chunk)
    return dropped


def query(printer: Escpos, command: bytes) -> int:
    """One DLE EOT answer: drain, ask, and take the last status-shaped byte of what comes back (a late
    reply that arrives in the same read precedes the answer, never follows it)."""
    if dropped := drain(printer):
        log.info("printer: dropped %d unsolicited status byte(s) before %s", dropped, command.hex())
    answer: bytes = printer.query_status(command)
    for _ in range(MAX_READS_PER_QUERY):
        if not answer:
            break
        replies = [byte for byte in answer if cmd.is_status_reply(byte)]
        if replies:
            return replies[-1]
        answer = printer._read()
    raise PrinterOffline(detail="no status answer")


def read_status(printer: Escpos) -> PrinterStatus:
    """The printer's state from DLE EOT 1, 2 and 4 on an open connection."""
    try:
        return status_from_bytes(
            query(printer, DLE_EOT_PRINTER), query(printer, DLE_EOT_OFFLINE_CAUSE), query(printer, DLE_EOT_PAPER)
        )
    except (OSError, TimeoutError) as exc:
        raise PrinterOffline(detail=type(exc).__name__) from exc


class EscposPrinter:
    def __init__(self, settings: PrinterSettings) -> None:
        self.settings = settings
        self.width_px = WIDTH_PX.get(settings.paper_width_mm, WIDTH_PX[80])

    def _open(self) -> Escpos:
        try:
            return open_printer(self.settings)
        except Exception as exc:  # connection refused, no such USB device, serial port missing
            raise PrinterOffline(detail=type(exc).__name__) from exc

    def status(self) -> PrinterStatus:
        try:
            printer = self._open()
        except PrinterOffline:
            return PrinterStatus.OFFLINE
        try:
            return read_status(printer)
        except PrinterOffline:
            return PrinterStatus.OFFLINE
        finally:
            _close(printer)

    def print_receipt(self, receipt: Receipt) -> None:
        printer = self._open()
        try:
            status = read_status(printer)
            if status in ERROR_FOR_STATUS:
                raise ERROR_FOR_STATUS[status]()
            try:
                printer._raw(cmd.INITIALIZE)
                self._send(printer, receipt)
                printer.cut()
                # A connection dropped mid-job shows up on the next exchange: ask once the job is sent.
                after = read_status(printer)
            except (OSError, TimeoutError, PrinterOffline) as exc:
                log.warning("printer: job failed (%s)", type(exc).__name__)
                raise PrintFailed(detail=type(exc).__name__) from exc
            if after in ERROR_FOR_STATUS:  # e.g. the paper ran out during this receipt
                raise ERROR_FOR_STATUS[after]()
        finally:
            _close(printer)

    def _send(self, printer: Escpos, receipt: Receipt) -> None:
        """The receipt as one raster image, or (``native_codes``) strips with the symbols as commands."""
        drawn = draw_receipt(receipt, self.width_px)
        if not self.settings.native_codes:
            printer.image(drawn.image, center=True)
            return
        for part in drawn.parts():
            if isinstance(part, CodeSpan):
                printer._raw(cmd.ALIGN_CENTER + _symbol(part) + cmd.ALIGN_LEFT)
            else:
                printer.image(part, center=True)

    def health(self) -> DeviceHealth:
        return health_from_status(
            f"real/{self.settings.kind}",
            self.status(),
            f"{self.settings.host}:{self.settings.port}" if self.settings.kind == "escpos-network" else "",
        )

    def close(self) -> None:
        pass


def _symbol(span: CodeSpan) -> bytes:
    """The printer command that draws a symbol with the module size and height the raster receipt uses."""
    if isinstance(span.block, BarcodeBlock):
        return cmd.code128_digits(span.block.digits, span.module_px, span.height_px)
    return cmd.qr_code(span.block.payload, span.module_px)


def _close(printer: Any) -> None:
    with contextlib.suppress(Exception):  # closing a broken connection must not hide the real error
        printer.close()
