"""A simulated camera: a desk seen from above at the configured size and rate, with no code in view
(``source`` = an image folder makes it show those images instead, like the real driver)."""

from __future__ import annotations

import threading
import time

import numpy as np

from hardware.camera.interface import Frame
from hardware.health import DeviceHealth
from mydata_counter.settings import CameraSettings


class SimulatedCamera:
    def __init__(self, settings: CameraSettings) -> None:
        self.settings = settings
        self._frame: Frame | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        rng = np.random.default_rng(7)
        base = rng.normal(120, 12, (settings.height, settings.width)).clip(0, 255).astype(np.uint8)
        self._desk = np.dstack([base, base, base])

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True, name="camera-sim")
            self._thread.start()

    def _run(self) -> None:
        sequence = 0
        while not self._stop.wait(1.0 / self.settings.fps):
            sequence += 1
            self._frame = Frame(self._desk, sequence, time.monotonic())

    def latest_frame(self) -> Frame | None:
        return self._frame

    def health(self) -> DeviceHealth:
        return DeviceHealth("camera", "simulated", "ok", "camera.streaming", "synthetic desk")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
