"""The clerk's verification terminal web app."""

from clerk.app import create_app

__all__ = ["create_app"]
