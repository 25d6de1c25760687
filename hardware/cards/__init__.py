"""Card readers: PC/SC through pcscd (pyscard) with PKCS#11 for MOICA cards, or a simulated reader."""

from __future__ import annotations

from counter_core.settings import ReaderSettings
from hardware.cards.interface import CardReader


def build_reader(settings: ReaderSettings, seed: int = 20261124, citizens: int = 240) -> CardReader:
    if settings.driver == "simulated":
        from hardware.cards.simulated import SimulatedReader

        return SimulatedReader(settings, seed, citizens)
    from hardware.cards.pcsc import PcscReader

    return PcscReader(settings)
