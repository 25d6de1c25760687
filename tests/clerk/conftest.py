"""Fixtures for clerk tests (the rig is in clerk_rig.py so tests can import its helpers)."""

from tests.clerk.clerk_rig import clerk, rig

__all__ = ["clerk", "rig"]
