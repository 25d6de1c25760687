"""A terminal's devices as one typed bundle (``KioskDevices``, ``ClerkDevices``), and one device of a kind
built from config (``hw doctor`` checks them one by one)."""

from __future__ import annotations

from dataclasses import fields

from counter_core.settings import DevicesSettings
from hardware.health import Device

KINDS = ("reader", "camera", "decoder", "printer")


class DeviceBundle:
    """Base of the typed device bundles (dataclasses whose fields are devices named by kind): their health
    for /healthz and the admin page, and closing them all."""

    def by_kind(self) -> dict[str, Device]:
        return {item.name: getattr(self, item.name) for item in fields(self)}  # type: ignore[arg-type]

    def states(self) -> dict[str, dict[str, object]]:
        return {kind: device.health().as_dict() for kind, device in self.by_kind().items()}

    def close(self) -> None:
        for device in self.by_kind().values():
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
