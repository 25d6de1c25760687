"""The chip bank card's side of our stand-in APDUs (``bank_card.py``, docs/bank-card.md), in software: a virtual
card for vsmartcard's vpcd, so tests and demos go through the real pcscd + pyscard path.

It behaves as a card's chip does: nothing works before SELECT, the certificate is read in chunks, VERIFY counts
wrong PINs down (63 Cx) to a blocked PIN (69 83) that no right PIN reopens, and a signature needs a PIN verified
since the last SELECT; each signature uses that verification up. A malformed PIN block is refused (6A 80)
without costing a try, as the card cannot tell it was a PIN at all. What the card holds (its certificate, the
private-key operation) is given to it: the sandbox's cards in tests, never anything real.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable

from hardware.cards.bank_card import (
    AID,
    CERTIFICATE_FILE,
    CHALLENGE_BYTES,
    CHIP_FAULT,
    CLA_NOT_SUPPORTED,
    CONDITIONS_NOT_SATISFIED,
    END_OF_FILE,
    INS_INTERNAL_AUTHENTICATE,
    INS_NOT_SUPPORTED,
    INS_READ_BINARY,
    INS_SELECT,
    INS_VERIFY,
    NOT_FOUND,
    OK,
    PIN_BLOCKED,
    PIN_REFERENCE,
    PIN_TRIES,
    SECURITY_NOT_SATISFIED,
    WRONG_DATA,
    WRONG_LENGTH,
    WRONG_P1P2,
    pin_from_block,
)


def _parts(apdu: bytes) -> tuple[int, int, int, int, bytes, int | None]:
    """CLA, INS, P1, P2, command data, Le (short APDUs: cases 1-4)."""
    cla, ins, p1, p2 = apdu[:4]
    if len(apdu) == 4:
        return cla, ins, p1, p2, b"", None
    if len(apdu) == 5:
        return cla, ins, p1, p2, b"", apdu[4] or 256
    count = apdu[4]
    data = apdu[5 : 5 + count]
    if len(data) != count or len(apdu) > 6 + count:
        raise ValueError("malformed APDU")
    le = (apdu[5 + count] or 256) if len(apdu) == 6 + count else None
    return cla, ins, p1, p2, data, le


class BankCardApplet:
    """A responder for ``hardware.cards.vpcd.VirtualCard`` (with ``atr=bank_card.ATR``)."""

    def __init__(
        self,
        certificate_der: bytes,
        sign: Callable[[bytes], bytes],
        pin: str,
        tries_left: int = PIN_TRIES,
        sign_delay_s: float = 0.0,
    ) -> None:
        self._certificate = certificate_der
        self._sign = sign
        self._pin = pin
        self.tries_left = tries_left
        self.sign_delay_s = sign_delay_s  # a real chip takes a while over a signature
        self.faults: dict[int, bytes] = {}  # tests: INS → the status a failing chip answers it with
        self.commands: list[int] = []  # the INS of every command received (never its data)
        self._selected = self._file = self._verified = False
        self._lock = threading.Lock()

    def __call__(self, apdu: bytes) -> bytes:
        with self._lock:
            if len(apdu) < 4:
                return WRONG_LENGTH
            self.commands.append(apdu[1])
            if apdu[1] in self.faults:
                return self.faults[apdu[1]]
            try:
                cla, ins, p1, p2, data, le = _parts(apdu)
            except ValueError:
                return WRONG_LENGTH
            if cla != 0x00:
                return CLA_NOT_SUPPORTED
            if ins == INS_SELECT:
                return self._select(p1, p2, data)
            if ins == INS_READ_BINARY:
                return self._read(p1, p2, le)
            if ins == INS_VERIFY:
                return self._verify(p1, p2, data)
            if ins == INS_INTERNAL_AUTHENTICATE:
                return self._authenticate(p1, p2, data)
            return INS_NOT_SUPPORTED

    def _select(self, p1: int, p2: int, data: bytes) -> bytes:
        if p1 == 0x04:  # by AID: ours, or any other application (which leaves ours)
            self._selected = data == AID
            self._file = self._verified = False
            return OK if self._selected else NOT_FOUND
        if p1 == 0x02 and p2 == 0x0C:  # an elementary file by its identifier, no answer data
            if not self._selected:
                return CONDITIONS_NOT_SATISFIED
            self._file = data == CERTIFICATE_FILE
            return OK if self._file else NOT_FOUND
        return WRONG_P1P2

    def _read(self, p1: int, p2: int, le: int | None) -> bytes:
        if not self._file:
            return CONDITIONS_NOT_SATISFIED
        offset = (p1 & 0x7F) << 8 | p2
        if p1 & 0x80 or offset >= len(self._certificate):
            return WRONG_P1P2
        chunk = self._certificate[offset : offset + (le or 256)]
        return chunk + (END_OF_FILE if len(chunk) < (le or 256) else OK)

    def _verify(self, p1: int, p2: int, data: bytes) -> bytes:
        if p1 != 0x00 or p2 != PIN_REFERENCE:
            return WRONG_P1P2
        if not self._selected:
            return CONDITIONS_NOT_SATISFIED
        if self.tries_left <= 0:
            return PIN_BLOCKED
        if len(data) != 8:
            return WRONG_LENGTH
        typed = pin_from_block(data)
        if typed is None:
            return WRONG_DATA
        if hmac.compare_digest(typed.encode(), self._pin.encode()):
            self.tries_left, self._verified = PIN_TRIES, True
            return OK
        self.tries_left -= 1
        self._verified = False
        return bytes([0x63, 0xC0 | self.tries_left])

    def _authenticate(self, p1: int, p2: int, challenge: bytes) -> bytes:
        if p1 != 0x00 or p2 != 0x00:
            return WRONG_P1P2
        if not self._selected:
            return CONDITIONS_NOT_SATISFIED
        if self.tries_left <= 0:
            return PIN_BLOCKED
        if not self._verified:
            return SECURITY_NOT_SATISFIED
        if not CHALLENGE_BYTES[0] <= len(challenge) <= CHALLENGE_BYTES[1]:
            return WRONG_LENGTH
        self._verified = False  # one signature per PIN
        if self.sign_delay_s:
            threading.Event().wait(self.sign_delay_s)
        try:
            return self._sign(challenge) + OK
        except Exception:
            return CHIP_FAULT
