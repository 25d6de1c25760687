"""A simulated camera: a desk seen from above at the configured size and rate. ``show(code)`` holds a
printed receipt with that code under it (rendered as the kiosk prints it, slightly turned, every frame
a fresh JPEG like a real camera's), ``show(None)`` takes it away. (``source`` = an image folder makes
``build_camera`` play those images with the real driver instead.)"""

from __future__ import annotations

import threading
import time

import numpy as np

from counter_core.settings import CameraSettings
from hardware.camera.interface import Frame
from hardware.health import DeviceHealth


class SimulatedCamera:
    def __init__(self, settings: CameraSettings) -> None:
        self.settings = settings
        self._frame: Frame | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        rng = np.random.default_rng(7)
        base = rng.normal(120, 12, (settings.height, settings.width)).clip(0, 255).astype(np.uint8)
        self._desk = np.dstack([base, base, base])
        self._scene = self._desk

    def show(self, code: str | None) -> None:
        """Put a receipt carrying ``code`` in view (None: an empty desk again)."""
        if code is None:
            self._scene = self._desk
            return
        import random

        from hardware.decode.corpus import _place, _receipt

        grey = _place(random.Random(code), _receipt(code), (self.settings.width, self.settings.height), 0.85, 0.04)
        self._scene = np.dstack([grey, grey, grey])

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True, name="camera-sim")
            self._thread.start()

    def _run(self) -> None:
        sequence = 0
        while not self._stop.wait(1.0 / self.settings.fps):
            sequence += 1
            self._frame = Frame(self._scene, sequence, time.monotonic())

    def latest_frame(self) -> Frame | None:
        return self._frame

    def health(self) -> DeviceHealth:
        return DeviceHealth("camera", "simulated", "ok", "camera.streaming", "synthetic desk")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
