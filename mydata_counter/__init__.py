"""MyData Counter: shared foundation (settings, CLI, messages, serving) for kiosk, clerk and sandbox."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mydata-counter")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
