"""The clerk rig for web-hardening tests."""

from tests.clerk.clerk_rig import clerk, rig

__all__ = ["clerk", "rig"]
