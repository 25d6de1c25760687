"""A network camera for tests: an HTTP server sending MJPEG (multipart/x-mixed-replace), as IP cameras
and the clerk preview do, that can be told to end the stream or to go silent without closing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np


class MjpegCamera:
    def __init__(self, frames_per_connection: int = 1_000_000, fps: int = 30) -> None:
        self.frames_per_connection = frames_per_connection
        self.fps = fps
        self.silent = threading.Event()  # keep the connection open but send nothing (a hung camera)
        self.connections = 0
        self.url = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                camera.connections += 1
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                for index in range(camera.frames_per_connection):
                    while camera.silent.is_set():
                        time.sleep(0.05)
                    _, jpeg = cv2.imencode(".jpg", np.full((240, 320, 3), (index * 7) % 256, np.uint8))
                    data = jpeg.tobytes()
                    head = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(data)
                    try:
                        self.wfile.write(head + data + b"\r\n")
                        self.wfile.flush()
                    except OSError:
                        return
                    time.sleep(1 / camera.fps)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


@contextmanager
def running_mjpeg_camera(camera: MjpegCamera) -> Iterator[MjpegCamera]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), camera.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    camera.url = f"http://127.0.0.1:{server.server_address[1]}/stream.mjpg"
    try:
        yield camera
    finally:
        camera.silent.clear()
        server.shutdown()
        server.server_close()
