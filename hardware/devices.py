"""Build the configured devices for one terminal; each kind picks its driver from config."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from counter_core.settings import DevicesSettings
from hardware.health import Device

KINDS = ("reader", "camera", "decoder", "printer")


@dataclass
class Devices:
    """The devices a terminal owns, by kind. A kiosk has a reader and a printer; a clerk a camera
    and a decoder."""

    by_kind: dict[str, Device] = field(default_factory=dict)

    def states(self) -> dict[str, dict[str, object]]:
        return {kind: device.health().as_dict() for kind, device in self.by_kind.items()}

    def close(self) -> None:
        for device in self.by_kind.values():
            device.close()


def build_device(kind: str, settings: DevicesSettings) -> Device:
    if kind == "reader":
        from hardware.cards import build_reader

        return build_reader(settings.reader)
    if kind == "camera":
        from hardware.camera import build_camera

        return build_camera(settings.camera)
    if kind == "decoder":
        from hardware.decode import build_decoder

        return build_decoder(settings.decoder)
    if kind == "printer":
        from hardware.printer import build_printer

        return build_printer(settings.printer)
    raise ValueError(f"unknown device kind {kind!r}; known: {KINDS}")


def build_devices(settings: DevicesSettings, kinds: Iterable[str]) -> Devices:
    return Devices({kind: build_device(kind, settings) for kind in kinds})
