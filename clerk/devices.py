"""The clerk station's devices: a camera and the barcode decoder that reads its frames."""

from __future__ import annotations

from dataclasses import dataclass

from counter_core.settings import DevicesSettings
from hardware.camera import build_camera
from hardware.camera.interface import Camera
from hardware.decode import build_decoder
from hardware.decode.interface import Decoder
from hardware.devices import DeviceBundle


@dataclass
class ClerkDevices(DeviceBundle):
    camera: Camera
    decoder: Decoder


def build_clerk_devices(settings: DevicesSettings) -> ClerkDevices:
    return ClerkDevices(build_camera(settings.camera), build_decoder(settings.decoder))
