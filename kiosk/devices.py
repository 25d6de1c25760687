"""The kiosk's devices: a card reader and a receipt printer."""

from __future__ import annotations

from dataclasses import dataclass

from counter_core.settings import DevicesSettings
from hardware.cards import build_reader
from hardware.cards.interface import CardReader
from hardware.cards.simulated import CardSource, SimulatedReader
from hardware.devices import DeviceBundle
from hardware.printer import build_printer
from hardware.printer.interface import Printer


@dataclass
class KioskDevices(DeviceBundle):
    reader: CardReader
    printer: Printer

    @property
    def demo_reader(self) -> SimulatedReader | None:
        """The simulated reader, whose cards the demo panel inserts; None with a real reader."""
        return self.reader if isinstance(self.reader, SimulatedReader) else None


def build_kiosk_devices(settings: DevicesSettings, cards: CardSource | None = None) -> KioskDevices:
    """``cards``: what the simulated reader's cards hold (the top layer wires the sandbox's citizens)."""
    return KioskDevices(build_reader(settings.reader, cards), build_printer(settings.printer))
