"""Fixtures for card tests (the rig is in cards_rig.py)."""

from tests.cards.cards_rig import empty_reader, pcscd

__all__ = ["empty_reader", "pcscd"]
