"""The printer interface: status and printing, with typed faults the kiosk turns into messages."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from counter_core.errors import CounterError
from hardware.health import DeviceHealth
from hardware.printer.receipt import Receipt


class PrinterStatus(StrEnum):
    READY = "ready"
    PAPER_LOW = "paper_low"  # prints, but tell the technician
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"


class PrinterError(CounterError):
    key = "printer.failed"


class PaperOut(PrinterError):
    key = "printer.paper_out"


class CoverOpen(PrinterError):
    key = "printer.cover_open"


class PrinterOffline(PrinterError):
    key = "printer.offline"


class PrintFailed(PrinterError):
    """The job did not complete (connection dropped mid-job, CUPS job aborted…)."""

    key = "printer.failed"


ERROR_FOR_STATUS: dict[PrinterStatus, type[PrinterError]] = {
    PrinterStatus.PAPER_OUT: PaperOut,
    PrinterStatus.COVER_OPEN: CoverOpen,
    PrinterStatus.OFFLINE: PrinterOffline,
}

STATE_FOR_STATUS = {
    PrinterStatus.READY: "ok",
    PrinterStatus.PAPER_LOW: "warn",
    PrinterStatus.PAPER_OUT: "fail",
    PrinterStatus.COVER_OPEN: "fail",
    PrinterStatus.OFFLINE: "fail",
}


class Printer(Protocol):
    def status(self) -> PrinterStatus: ...

    def print_receipt(self, receipt: Receipt) -> None:
        """Print, or raise a ``PrinterError`` subclass; never fail silently."""

    def health(self) -> DeviceHealth: ...

    def close(self) -> None: ...


def health_from_status(driver: str, status: PrinterStatus, detail: str = "") -> DeviceHealth:
    return DeviceHealth("printer", driver, STATE_FOR_STATUS[status], f"printer.{status.value}", detail)  # type: ignore[arg-type]
