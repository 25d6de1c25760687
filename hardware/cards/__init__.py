"""Card readers: PC/SC through pcscd (pyscard) with PKCS#11 for MOICA cards, or a simulated reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from counter_core.settings import ReaderSettings
from hardware.cards.interface import CardReader

if TYPE_CHECKING:
    from hardware.cards.simulated import CardSource


def build_reader(settings: ReaderSettings, cards: CardSource | None = None) -> CardReader:
    """The configured reader; ``cards`` says what the simulated reader's cards hold (unused by real ones)."""
    if settings.driver == "simulated":
        from hardware.cards.simulated import SimulatedReader

        return SimulatedReader(settings, cards)
    from hardware.cards.pcsc import PcscReader

    return PcscReader(settings)
