"""Virtual cards on vsmartcard's vpcd reader driver, so the real pcscd + pyscard path is exercised.

The vpcd wire protocol: each message is a 2-byte big-endian length and a payload. A 1-byte payload is a
control code from the reader (0 power off, 1 power on, 2 reset, 4 send the ATR); longer payloads are
command APDUs, answered with response APDUs. Connecting is inserting the card; closing is removing it.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable

from hardware.cards.nhi_card import OK, READ_BASIC, SELECT_NHI

VPCD_HOST = "127.0.0.1"
VPCD_PORTS = (35963, 35964)  # "Virtual PCD 00 00" and "Virtual PCD 00 01"
NHI_ATR = bytes.fromhex("3B 9F 95 81 31 FE 9F 00 66 46 53 05 10 00 11 71 DF 00 00 00 6A 82 5E".replace(" ", ""))
# A MOICA (HiCOS) card's ATR: its historical bytes carry "CNS", which is how the reader tells the card type. The
# card's key is reached through PKCS#11 (SoftHSM2 standing in for the vendor module), never through APDUs here.
MOICA_ATR = bytes.fromhex("3BDF18008131FE7D006B150C0181011101434E53103180E8")
SW_NOT_SUPPORTED = b"\x6d\x00"
SW_FILE_NOT_FOUND = b"\x6a\x82"

Responder = Callable[[bytes], bytes]


def vpcd_reader_name(slot: int) -> str:
    """The name pcscd gives vpcd's reader ``slot`` (0 or 1)."""
    return f"Virtual PCD 00 {slot:02d}"


def moica_responder(apdu: bytes) -> bytes:
    """A MOICA card in the reader: its key and certificate are used through the PKCS#11 module."""
    return SW_NOT_SUPPORTED


def nhi_responder(basic_data: bytes, slow_read_s: float = 0.0) -> Responder:
    selected = {"nhi": False}

    def respond(apdu: bytes) -> bytes:
        if apdu == SELECT_NHI:
            selected["nhi"] = True
            return OK
        if apdu == READ_BASIC:
            if not selected["nhi"]:
                return SW_FILE_NOT_FOUND
            if slow_read_s:
                threading.Event().wait(slow_read_s)
            return basic_data + OK
        return SW_NOT_SUPPORTED

    return respond


class VirtualCard:
    """A card in a vpcd reader, served from a thread until ``remove()``."""

    def __init__(self, responder: Responder, atr: bytes = NHI_ATR, port: int = VPCD_PORTS[0]) -> None:
        self.responder = responder
        self.atr = atr
        self.port = port
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def inserted(self) -> bool:
        return self._sock is not None

    def insert(self, timeout_s: float = 5.0) -> VirtualCard:
        """Put the card in the reader (again, after ``remove()``: the same card)."""
        self._stop.clear()
        self._sock = socket.create_connection((VPCD_HOST, self.port), timeout=timeout_s)
        self._sock.settimeout(None)
        self._thread = threading.Thread(target=self._serve, daemon=True, name="virtual-card")
        self._thread.start()
        return self

    def _receive(self, count: int) -> bytes:
        sock = self._sock
        if sock is None:  # removed while the reader was talking to us
            raise ConnectionError("card removed")
        data = b""
        while len(data) < count:
            # pcscd's driver writes each message in two parts; without QUICKACK every exchange waits ~40 ms.
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            chunk = sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("reader closed the connection")
            data += chunk
        return data

    def _send(self, payload: bytes) -> None:
        sock = self._sock
        if sock is None:
            raise ConnectionError("card removed")
        sock.sendall(struct.pack(">H", len(payload)) + payload)

    def _serve(self) -> None:
        try:
            while not self._stop.is_set():
                (length,) = struct.unpack(">H", self._receive(2))
                payload = self._receive(length)
                if length == 1:
                    if payload[0] == 4:
                        self._send(self.atr)
                    continue  # power on/off/reset need no answer
                self._send(self.responder(payload))
        except (OSError, ConnectionError, struct.error):
            return

    def remove(self) -> None:
        self._stop.set()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
            self._sock = None

    def __enter__(self) -> VirtualCard:
        return self.insert()

    def __exit__(self, *_exc: object) -> None:
        self.remove()
