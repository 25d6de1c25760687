"""Card readers: a simulated reader now; the PC/SC (pcscd) + PKCS#11 driver is issue 5's."""

from __future__ import annotations

from hardware.cards.interface import CardReader
from hardware.health import DeviceHealth
from mydata_counter.settings import ReaderSettings


class _NoRealDriver:
    """``driver = "real"`` until the PC/SC driver lands: says so plainly instead of pretending."""

    def __init__(self, settings: ReaderSettings) -> None:
        self.settings = settings

    def health(self) -> DeviceHealth:
        return DeviceHealth("reader", "real", "fail", "card.no_driver", "PC/SC driver not built yet")

    def close(self) -> None:
        pass


def build_reader(settings: ReaderSettings, seed: int = 20261124, citizens: int = 240) -> CardReader | _NoRealDriver:
    if settings.driver == "simulated":
        from hardware.cards.simulated import SimulatedReader

        return SimulatedReader(settings, seed, citizens)
    return _NoRealDriver(settings)
