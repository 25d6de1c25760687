"""A capture ESC/POS printer on TCP (like a thermal printer's port 9100), for tests and the demo.

It answers DLE EOT status queries as a real printer would for its current state, records each job's
bytes, rebuilds raster images (GS v 0) into pictures, and can be told to be out of paper, have its
cover open, be offline, or drop the connection in the middle of a job.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image

State = Literal["ready", "paper_low", "paper_out", "cover_open", "offline", "drop_mid_job"]

# (DLE EOT 1 printer, DLE EOT 2 offline cause, DLE EOT 4 paper sensor); bits 1 and 4 are always set.
STATUS_BYTES: dict[str, tuple[int, int, int]] = {
    "ready": (0x12, 0x12, 0x12),
    "paper_low": (0x12, 0x12, 0x1E),
    "paper_out": (0x1A, 0x32, 0x72),
    "cover_open": (0x1A, 0x16, 0x12),
    "offline": (0x1A, 0x12, 0x12),
    "drop_mid_job": (0x12, 0x12, 0x12),
}


@dataclass
class Job:
    data: bytes
    complete: bool
    images: list[Image.Image] = field(default_factory=list)

    @property
    def image(self) -> Image.Image | None:
        """All raster fragments of the job stacked top to bottom."""
        if not self.images:
            return None
        width = max(i.width for i in self.images)
        canvas = Image.new("L", (width, sum(i.height for i in self.images)), 255)
        y = 0
        for part in self.images:
            canvas.paste(part, (0, y))
            y += part.height
        return canvas


def _raster(width_bytes: int, height: int, data: bytes) -> Image.Image:
    image = Image.frombytes("1", (width_bytes * 8, height), data)  # 1 bit per dot, MSB first, 1 = black
    return Image.eval(image.convert("L"), lambda v: 255 - v)


class CapturePrinter:
    def __init__(self, port: int = 0, state: State = "ready") -> None:
        self.state: State = state
        self.jobs: list[Job] = []
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", port))
        self._server.listen(8)
        self._server.settimeout(0.2)
        self.port: int = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="capture-printer")

    def start(self) -> CapturePrinter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._server.close()

    def wait_for_jobs(self, count: int, timeout_s: float = 10.0) -> list[Job]:
        with self._changed:
            self._changed.wait_for(lambda: len(self.jobs) >= count, timeout=timeout_s)
        return list(self.jobs)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._session, args=(client,), daemon=True).start()

    def _session(self, client: socket.socket) -> None:
        parser = _Parser(self)
        client.settimeout(5)
        try:
            with client:
                while True:
                    chunk = client.recv(65536)
                    if not chunk:
                        break
                    replies = parser.feed(chunk)
                    if replies:
                        client.sendall(replies)
                    if self.state == "drop_mid_job" and parser.job_bytes > 64:
                        client.shutdown(socket.SHUT_RDWR)
                        break
        except OSError:
            pass
        if parser.job_bytes:
            job = Job(bytes(parser.job), complete=self.state != "drop_mid_job", images=parser.images)
            with self._changed:
                self.jobs.append(job)
                self._changed.notify_all()


class _Parser:
    """Walks the ESC/POS byte stream: answers DLE EOT, skips binary payloads, collects raster images."""

    def __init__(self, printer: CapturePrinter) -> None:
        self._printer = printer
        self._pending = b""
        self.job = bytearray()
        self.images: list[Image.Image] = []

    @property
    def job_bytes(self) -> int:
        return len(self.job)

    def feed(self, data: bytes) -> bytes:
        buffer = self._pending + data
        replies = bytearray()
        i = 0
        while i < len(buffer):
            if buffer[i] == 0x10 and i + 2 < len(buffer) and buffer[i + 1] == 0x04:
                status = STATUS_BYTES[self._printer.state]
                replies.append({1: status[0], 2: status[1], 4: status[2]}.get(buffer[i + 2], 0x12))
                i += 3
                continue
            if buffer[i] == 0x1D and i + 1 < len(buffer) and buffer[i + 1] == 0x76:
                if i + 8 > len(buffer):
                    break
                width_bytes = buffer[i + 4] + buffer[i + 5] * 256
                height = buffer[i + 6] + buffer[i + 7] * 256
                end = i + 8 + width_bytes * height
                if end > len(buffer):
                    break
                self.images.append(_raster(width_bytes, height, bytes(buffer[i + 8 : end])))
                self.job += buffer[i:end]
                i = end
                continue
            if buffer[i] == 0x1D and i + 1 < len(buffer) and buffer[i + 1] == 0x28:
                if i + 5 > len(buffer):
                    break
                end = i + 5 + buffer[i + 3] + buffer[i + 4] * 256
                if end > len(buffer):
                    break
                self.job += buffer[i:end]
                i = end
                continue
            if buffer[i] in (0x10, 0x1D) and i + 2 >= len(buffer):
                break  # a command split across reads: wait for the rest
            self.job.append(buffer[i])
            i += 1
        self._pending = bytes(buffer[i:])
        return bytes(replies)


@contextlib.contextmanager
def capture_printer(state: State = "ready", port: int = 0) -> Iterator[CapturePrinter]:
    printer = CapturePrinter(port, state).start()
    try:
        yield printer
    finally:
        printer.stop()
