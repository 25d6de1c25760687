"""Cameras: a capture thread keeps only the newest frame; readers never wait on the device."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from hardware.decode.interface import Image
from hardware.health import DeviceHealth
from mydata_counter.errors import CounterError


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
