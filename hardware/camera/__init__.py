"""Cameras: OpenCV sources (V4L2, URL, video file, image folder) and a simulated camera."""

from __future__ import annotations

from counter_core.settings import CameraSettings
from hardware.camera.interface import Camera, Frame


def build_camera(settings: CameraSettings) -> Camera:
    if settings.driver == "simulated" and not settings.source:
        from hardware.camera.simulated import SimulatedCamera

        return SimulatedCamera(settings)
    from hardware.camera.capture import OpenCVCamera

    return OpenCVCamera(settings)


__all__ = ["Camera", "Frame", "build_camera"]
