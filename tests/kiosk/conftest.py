"""Fixtures for kiosk tests (the rig itself is in kiosk_rig.py so tests can import its helpers)."""

from tests.kiosk.kiosk_rig import kiosk, rig

__all__ = ["kiosk", "rig"]
