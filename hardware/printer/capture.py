"""A capture ESC/POS printer on TCP (like a thermal printer's port 9100), for tests and the demo.

It answers DLE EOT status queries as a real printer would for its current state, records each job's
bytes, rebuilds raster images (GS v 0) into pictures, records the QR codes (GS ( k) and barcodes (GS k)
a printer would draw itself, and can be told to be out of paper, have its cover open, be offline, drop
the connection in the middle of a job, or send status bytes nobody asked for (a late answer).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import qrcode
from PIL import Image, ImageDraw

from hardware.printer.code128 import code128_modules

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
QR_EC = {48: qrcode.constants.ERROR_CORRECT_L, 49: qrcode.constants.ERROR_CORRECT_M,
         50: qrcode.constants.ERROR_CORRECT_Q, 51: qrcode.constants.ERROR_CORRECT_H}  # fmt: skip


@dataclass(frozen=True)
class Symbol:
    """A symbol the printer drew from a command: ``QRCode`` or ``Code128``, its text and size in dots."""

    format: str
    text: str
    module_px: int
    height_px: int = 0  # Code128 bar height
    ec: int = 49  # QR error correction (GS ( k function 169 argument)

    def draw(self) -> Image.Image:
        if self.format == "QRCode":
            qr = qrcode.QRCode(error_correction=QR_EC.get(self.ec, QR_EC[49]), border=0, box_size=self.module_px)
            qr.add_data(self.text)
            qr.make(fit=True)
            image: Image.Image = qr.make_image().get_image().convert("L")
            return image
        modules = code128_modules(self.text)
        picture = Image.new("L", (len(modules) * self.module_px, self.height_px), 255)
        pen = ImageDraw.Draw(picture)
        for index, module in enumerate(modules):
            if module == "1":
                x = index * self.module_px
                pen.rectangle((x, 0, x + self.module_px - 1, self.height_px - 1), fill=0)
        return picture


@dataclass
class Job:
    data: bytes
    complete: bool
    images: list[Image.Image] = field(default_factory=list)  # raster fragments, in order
    symbols: list[Symbol] = field(default_factory=list)  # symbols drawn from commands, in order
    parts: list[Image.Image | Symbol] = field(default_factory=list)  # both, in the order printed

    @property
    def image(self) -> Image.Image | None:
        """The paper as printed: raster fragments and symbols stacked top to bottom, symbols centred
        (the receipt centres them with ESC a 1)."""
        if not self.parts:
            return None
        pictures = [part.draw() if isinstance(part, Symbol) else part.convert("L") for part in self.parts]
        width = max(i.width for i in pictures)
        canvas = Image.new("L", (width, sum(i.height for i in pictures)), 255)
        y = 0
        for part, picture in zip(self.parts, pictures, strict=True):
            canvas.paste(picture, ((width - picture.width) // 2 if isinstance(part, Symbol) else 0, y))
            y += picture.height
        return canvas


def _raster(width_bytes: int, height: int, data: bytes) -> Image.Image:
    image = Image.frombytes("1", (width_bytes * 8, height), data)  # 1 bit per dot, MSB first, 1 = black
    return Image.eval(image.convert("L"), lambda v: 255 - v)


class CapturePrinter:
    def __init__(self, port: int = 0, state: State = "ready") -> None:
        self.state: State = state
        self.jobs: list[Job] = []
        # Status bytes sent as soon as a host connects: a late answer to a query an earlier host gave up
        # on (USB and serial printers keep it in their buffer from one job to the next).
        self.stale_on_connect = b""
        # (n, bytes): after each cut, these bytes go out just before the answer to the next DLE EOT n —
        # a late answer arriving in the same read as the real one.
        self.late_reply: tuple[int, bytes] | None = None
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
                if self.stale_on_connect:
                    client.sendall(self.stale_on_connect)
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
            job = Job(bytes(parser.job), self.state != "drop_mid_job", parser.images, parser.symbols, parser.parts)
            with self._changed:
                self.jobs.append(job)
                self._changed.notify_all()


def _code128_text(data: bytes) -> str:
    """GS k 73 data back to text: ``{A``/``{B``/``{C`` pick the code set; in set C a byte is a digit pair."""
    text: list[str] = []
    code_set, i = "B", 0
    while i < len(data):
        if data[i] == 0x7B and i + 1 < len(data):  # "{" + code set, "{{" or a function character
            if data[i + 1] in b"ABC":
                code_set = chr(data[i + 1])
            elif data[i + 1] == 0x7B:
                text.append("{")
            i += 2
            continue
        text.append(f"{data[i]:02d}" if code_set == "C" else chr(data[i]))
        i += 1
    return "".join(text)


class _Parser:
    """Walks the ESC/POS byte stream: answers DLE EOT, skips binary payloads, collects raster images and
    the symbols the printer would draw (QR from GS ( k, Code128 from GS k)."""

    def __init__(self, printer: CapturePrinter) -> None:
        self._printer = printer
        self._pending = b""
        self.job = bytearray()
        self.images: list[Image.Image] = []
        self.symbols: list[Symbol] = []
        self.parts: list[Image.Image | Symbol] = []
        self._qr_module, self._qr_ec, self._qr_data = 3, 48, ""  # printer defaults until set
        self._bar_module, self._bar_height = 3, 162
        self._late_armed = False

    @property
    def job_bytes(self) -> int:
        return len(self.job)

    def feed(self, data: bytes) -> bytes:
        buffer = self._pending + data
        replies = bytearray()
        i = 0
        while i < len(buffer):
            used = self._command(buffer, i, replies)
            if not used:
                break  # a command split across reads: wait for the rest
            i += used
        self._pending = bytes(buffer[i:])
        return bytes(replies)

    def _command(self, buffer: bytes, i: int, replies: bytearray) -> int:
        """Handles the command at ``i``; returns the bytes it used, 0 when it is not complete yet."""
        rest = len(buffer) - i
        if buffer[i] in (0x10, 0x1D) and rest < 3:
            return 0
        if buffer[i] == 0x10 and buffer[i + 1] == 0x04:
            replies += self._status(buffer[i + 2])
            return 3
        used = self._gs_command(buffer, i) if buffer[i] == 0x1D else 1
        if used:
            self.job += buffer[i : i + used]
        return used

    def _status(self, n: int) -> bytes:
        status = STATUS_BYTES[self._printer.state]
        answer = bytes(({1: status[0], 2: status[1], 4: status[2]}.get(n, 0x12),))
        late = self._printer.late_reply
        if self._late_armed and late is not None and late[0] == n:
            self._late_armed = False
            return late[1] + answer
        return answer

    def _gs_command(self, buffer: bytes, i: int) -> int:
        op, arg, rest = buffer[i + 1], buffer[i + 2], len(buffer) - i
        if op == 0x76:  # GS v 0 m xL xH yL yH: raster bit image
            if rest < 8:
                return 0
            width_bytes, height = buffer[i + 4] + buffer[i + 5] * 256, buffer[i + 6] + buffer[i + 7] * 256
            if rest < 8 + width_bytes * height:
                return 0
            image = _raster(width_bytes, height, bytes(buffer[i + 8 : i + 8 + width_bytes * height]))
            self.images.append(image)
            self.parts.append(image)
            return 8 + width_bytes * height
        if op == 0x28:  # GS ( x pL pH ...: length-prefixed function
            if rest < 5 or rest < 5 + buffer[i + 3] + buffer[i + 4] * 256:
                return 0
            end = i + 5 + buffer[i + 3] + buffer[i + 4] * 256
            if arg == 0x6B and end - i > 6 and buffer[i + 5] == 49:  # GS ( k, cn 49: QR Code
                self._qr_function(buffer[i + 6], bytes(buffer[i + 7 : end]))
            return end - i
        if op == 0x6B:  # GS k m: barcode; function A ends with NUL, function B is length-prefixed
            if arg <= 6:
                end = buffer.find(b"\x00", i + 3)
                return 0 if end < 0 else end + 1 - i
            if rest < 4 or rest < 4 + buffer[i + 3]:
                return 0
            if arg == 73:
                text = _code128_text(bytes(buffer[i + 4 : i + 4 + buffer[i + 3]]))
                self._draw(Symbol("Code128", text, self._bar_module, self._bar_height))
            return 4 + buffer[i + 3]
        if op == 0x68:  # GS h n: bar height
            self._bar_height = arg
        elif op == 0x77:  # GS w n: module width
            self._bar_module = arg
        elif op == 0x56:  # GS V m [n]: cut; a late reply (if configured) follows the job
            self._late_armed = True
            return (0 if rest < 4 else 4) if arg >= 65 else 3
        return 3 if op in (0x48, 0x66, 0x68, 0x77) else 1  # GS H/f/h/w n; anything else byte by byte

    def _qr_function(self, fn: int, args: bytes) -> None:
        if fn == 67 and args:  # module size
            self._qr_module = args[0]
        elif fn == 69 and args:  # error correction
            self._qr_ec = args[0]
        elif fn == 80:  # store data (after m)
            self._qr_data = args[1:].decode("latin-1")
        elif fn == 81:  # print the stored symbol
            self._draw(Symbol("QRCode", self._qr_data, self._qr_module, ec=self._qr_ec))

    def _draw(self, symbol: Symbol) -> None:
        self.symbols.append(symbol)
        self.parts.append(symbol)


@contextlib.contextmanager
def capture_printer(state: State = "ready", port: int = 0) -> Iterator[CapturePrinter]:
    printer = CapturePrinter(port, state).start()
    try:
        yield printer
    finally:
        printer.stop()
