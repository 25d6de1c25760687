"""Real cameras through OpenCV: V4L2 index or /dev/video path, RTSP/HTTP URL, video file, image folder.

One thread reads frames as fast as the source gives them and keeps only the newest (a slow decoder
never works on stale frames). When the stream ends or breaks the thread reconnects with exponential
backoff (0.5 s … 8 s); ``health()`` says what is happening.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import cv2

from counter_core.settings import CameraSettings
from hardware.camera.interface import Frame
from hardware.decode.interface import Image
from hardware.health import DeviceHealth

log = logging.getLogger(__name__)
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0)
NETWORK_TIMEOUT_MS = 4000  # a network camera that stops sending is "lost" after this, not hung forever
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}


class _ImageFolder:
    """A folder of images played as a stream at ``fps`` (tests, demos, replaying captured frames)."""

    def __init__(self, folder: Path, fps: int) -> None:
        self.files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        self.interval = 1.0 / fps
        self.index = 0

    def isOpened(self) -> bool:  # noqa: N802 - cv2.VideoCapture's interface
        return bool(self.files)

    def read(self) -> tuple[bool, Image | None]:
        time.sleep(self.interval)
        image = cv2.imread(str(self.files[self.index % len(self.files)]), cv2.IMREAD_COLOR)
        self.index += 1
        return image is not None, image

    def release(self) -> None:
        pass


def open_source(settings: CameraSettings) -> cv2.VideoCapture | _ImageFolder:
    source = settings.source.strip() or "0"
    path = Path(source)
    if path.is_dir():
        return _ImageFolder(path, settings.fps)
    if "://" in source:  # RTSP / HTTP(S) MJPEG: FFmpeg, with timeouts so a dead link is noticed
        timeouts = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, NETWORK_TIMEOUT_MS]
        timeouts += [cv2.CAP_PROP_READ_TIMEOUT_MSEC, NETWORK_TIMEOUT_MS]
        return cv2.VideoCapture(source, cv2.CAP_FFMPEG, timeouts)
    capture = cv2.VideoCapture(int(source), cv2.CAP_V4L2) if source.isdigit() else cv2.VideoCapture(source)
    if source.isdigit() or source.startswith("/dev/video"):
        # USB cameras send 720p/1080p uncompressed at a few frames/s only; MJPG gets the full rate
        capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, settings.width)
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, settings.height)
        capture.set(cv2.CAP_PROP_FPS, settings.fps)
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
    return capture


class OpenCVCamera:
    def __init__(self, settings: CameraSettings) -> None:
        self.settings = settings
        self._frame: Frame | None = None
        self._sequence = 0
        self._state = "off"  # off | connecting | streaming | reconnecting | not_found
        self._failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True, name="camera")
            self._thread.start()

    def _run(self) -> None:
        is_file = Path(self.settings.source).is_file()
        while not self._stop.is_set():
            self._state = "connecting" if self._failures == 0 else "reconnecting"
            source = open_source(self.settings)
            if not source.isOpened():
                self._state = "not_found"
                self._backoff()
                continue
            interval = 1.0 / self.settings.fps if is_file else 0.0  # play files at their frame rate
            while not self._stop.is_set():
                ok, image = source.read()
                if not ok or image is None:
                    break
                with self._lock:
                    self._sequence += 1
                    self._frame = Frame(image, self._sequence, time.monotonic())
                self._state = "streaming"
                self._failures = 0
                if interval:
                    time.sleep(interval)
            source.release()
            if not self._stop.is_set():
                log.warning("camera: stream ended or lost; reconnecting")
                with self._lock:
                    self._frame = None
                self._state = "reconnecting"
                self._backoff()

    def _backoff(self) -> None:
        delay = BACKOFF_S[min(self._failures, len(BACKOFF_S) - 1)]
        self._failures += 1
        self._stop.wait(delay)

    def latest_frame(self) -> Frame | None:
        with self._lock:
            return self._frame

    def health(self) -> DeviceHealth:
        state = self._state
        detail = f"source {self.settings.source or '0'}"
        if state == "streaming":
            return DeviceHealth("camera", "real", "ok", "camera.streaming", detail)
        if state in ("connecting", "off"):
            return DeviceHealth("camera", "real", "warn", "camera.connecting", detail)
        if state == "reconnecting":
            return DeviceHealth("camera", "real", "fail", "camera.stream_lost", detail)
        return DeviceHealth("camera", "real", "fail", "camera.not_found", detail)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
        self._frame = None
