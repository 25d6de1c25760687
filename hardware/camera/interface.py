"""Cameras: a capture thread keeps only the newest frame; readers never wait on the device."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

from counter_core.errors import CounterError
from hardware.decode.interface import Image
from hardware.health import DeviceHealth


@dataclass(frozen=True)
class Frame:
    image: Image = field(repr=False)  # BGR
    sequence: int  # increases by one per captured frame; gaps = frames dropped as stale
    timestamp: float  # time.monotonic() at capture


class CameraError(CounterError):
    key = "camera.error"


class CameraNotFound(CameraError):
    key = "camera.not_found"


class StreamLost(CameraError):
    key = "camera.stream_lost"


class Camera(Protocol):
    def start(self) -> None: ...

    def latest_frame(self) -> Frame | None:
        """The newest frame, or None before the first one (or while the stream is lost)."""

    def health(self) -> DeviceHealth: ...

    def close(self) -> None: ...


def next_frame(camera: Camera, after: int = 0, timeout_s: float = 3.0) -> Frame:
    """The first frame newer than sequence ``after``, waiting up to ``timeout_s``; raises
    ``CameraNotFound`` when the source cannot be opened and ``StreamLost`` when it stopped sending."""
    deadline = time.monotonic() + timeout_s
    while True:
        frame = camera.latest_frame()
        if frame is not None and frame.sequence > after:
            return frame
        if time.monotonic() >= deadline:
            if camera.health().message_key == "camera.not_found":
                raise CameraNotFound()
            raise StreamLost()
        time.sleep(0.01)
