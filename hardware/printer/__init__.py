"""Receipt printers: ESC/POS (network, USB, serial), CUPS, PDF folder, simulated — one interface."""

from __future__ import annotations

from counter_core.settings import PrinterSettings
from hardware.printer.interface import Printer


def build_printer(settings: PrinterSettings) -> Printer:
    if settings.driver == "simulated":
        from hardware.printer.simulated import SimulatedPrinter

        return SimulatedPrinter(settings)
    if settings.kind.startswith("escpos-"):
        from hardware.printer.escpos_driver import EscposPrinter

        return EscposPrinter(settings)
    if settings.kind == "cups":
        from hardware.printer.cups_driver import CupsPrinter

        return CupsPrinter(settings)
    from hardware.printer.pdf_folder import PdfFolderPrinter

    return PdfFolderPrinter(settings)
