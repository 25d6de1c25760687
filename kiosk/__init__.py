"""The citizen kiosk web app."""

from kiosk.app import create_app

__all__ = ["create_app"]
