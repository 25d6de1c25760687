"""Printer devices. Placeholder until its hardware issue lands: reports that no driver exists yet."""

from __future__ import annotations

from hardware.health import DeviceHealth
from mydata_counter.settings import PrinterSettings


class _NotBuilt:
    def __init__(self, settings: PrinterSettings) -> None:
        self._settings = settings

    def health(self) -> DeviceHealth:
        return DeviceHealth("printer", self._settings.driver, "off", "device.not_built")

    def close(self) -> None:
        pass


def build_printer(settings: PrinterSettings) -> _NotBuilt:
    return _NotBuilt(settings)
