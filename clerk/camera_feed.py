"""The clerk station's camera: decode frames as they come, tell the page about a found code, and serve
a preview (MJPEG) with the found symbol outlined. Device threads never touch Flask objects."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import cv2
import numpy as np
from flask import Blueprint, Response

from hardware.camera.interface import Camera
from hardware.decode.interface import Decoded, Decoder

log = logging.getLogger(__name__)
REPEAT_S = 4.0  # the same code is not reported again within this time
OUTLINE_S = 1.5  # how long the found symbol stays outlined in the preview
PREVIEW_FPS = 12
PREVIEW_WIDTH = 640


class CameraFeed:
    def __init__(self, camera: Camera, decoder: Decoder, on_code: Callable[[Decoded], None]) -> None:
        self.camera = camera
        self.decoder = decoder
        self.on_code = on_code
        self._last: tuple[str, float] = ("", 0.0)
        self._outline: tuple[tuple[tuple[int, int], ...], float] = ((), 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="camera-decode")

    def start(self) -> None:
        self.camera.start()
        self._thread.start()

    def _run(self) -> None:
        seen = -1
        while not self._stop.is_set():
            frame = self.camera.latest_frame()
            if frame is None or frame.sequence == seen:
                self._stop.wait(0.01)
                continue
            seen = frame.sequence
            found = self.decoder.decode(frame.image)
            if found is None:
                continue
            now = time.monotonic()
            self._outline = (found.points, now)
            if found.code != self._last[0] or now - self._last[1] > REPEAT_S:
                self._last = (found.code, now)
                log.info("camera: %s found in %.1f ms (%s)", found.format, found.ms, found.pass_name)
                self.on_code(found)

    def preview(self) -> Iterator[bytes]:
        while not self._stop.is_set():
            frame = self.camera.latest_frame()
            if frame is None:
                image: Any = np.full((360, PREVIEW_WIDTH, 3), 40, np.uint8)
            else:
                image = frame.image if frame.image.ndim == 3 else cv2.cvtColor(frame.image, cv2.COLOR_GRAY2BGR)
                points, at = self._outline
                if points and time.monotonic() - at < OUTLINE_S:
                    image = image.copy()
                    cv2.polylines(image, [np.array(points, np.int32)], True, (0, 200, 0), max(3, image.shape[1] // 200))
                scale = PREVIEW_WIDTH / image.shape[1]
                image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 70])
            if ok:
                yield b"--frame\r\nContent-Type: image/jpeg\r\n\r\n" + jpeg.tobytes() + b"\r\n"
            time.sleep(1 / PREVIEW_FPS)

    def close(self) -> None:
        """Stop decoding and wait for the decode thread: a thread still inside OpenCV or zxing-cpp when
        the interpreter exits aborts the process ("terminate called without an active exception")."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=3)


def camera_blueprint(feed: CameraFeed, allowed: Callable[[], bool]) -> Blueprint:
    bp = Blueprint("camera", __name__)

    @bp.get("/camera/stream")
    def stream() -> Response | tuple[str, int]:
        if not allowed():
            return "", 401
        return Response(
            feed.preview(), mimetype="multipart/x-mixed-replace; boundary=frame", headers={"Cache-Control": "no-store"}
        )

    return bp
