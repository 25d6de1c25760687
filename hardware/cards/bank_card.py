"""The chip bank card (晶片金融卡) as the reader speaks to it: our own stand-in APDUs, host side.

The real cards' protocol (FISC's, per issuing bank) is not public, so this is ours, written in plain ISO 7816-4
terms: SELECT our application, SELECT + READ BINARY its certificate file, VERIFY the card's PIN (ISO 9564 format 2
PIN block, as EMV sends a plaintext PIN), INTERNAL AUTHENTICATE over the broker's challenge. The table is in
docs/bank-card.md. Only the drivers use this module, behind ``CardReader.bank_card_sign``; a vendor's module
replaces it without the kiosk noticing. The card side (a virtual card on vpcd) is ``bank_card_applet.py``.

The PIN block is a ``bytearray`` zeroed once the exchange ends, and the PIN (``Personal``) is wiped.
"""

from __future__ import annotations

from collections.abc import Callable

from counter_core.personal import Personal
from hardware.cards.interface import BankCardSignature, CardError, PinLocked, PinWrong, UnknownCard

# Proprietary AID (ISO 7816-5: a leading F means "not registered"): F0 + "MYDATA" + "BK" + version 01.
AID = bytes.fromhex("F0 4D 59 44 41 54 41 42 4B 01")
CERTIFICATE_FILE = bytes.fromhex("C0 01")
# ATR of the virtual card: T=0/T=1, historical bytes 80 5B "MYDATA-BANK" (compact TLV, card issuer's data).
ATR = bytes.fromhex("3B 8D 80 01 80 5B 4D 59 44 41 54 41 2D 42 41 4E 4B F8")

SELECT_APP = bytes([0x00, 0xA4, 0x04, 0x00, len(AID)]) + AID + b"\x00"
SELECT_CERTIFICATE = bytes([0x00, 0xA4, 0x02, 0x0C, len(CERTIFICATE_FILE)]) + CERTIFICATE_FILE
INS_SELECT, INS_READ_BINARY, INS_VERIFY, INS_INTERNAL_AUTHENTICATE = 0xA4, 0xB0, 0x20, 0x88
PIN_REFERENCE = 0x80  # P2 of VERIFY: the card's plaintext PIN (as EMV numbers it)
READ_CHUNK = 0xF0  # bytes per READ BINARY; short APDUs, any reader's buffer takes them
PIN_DIGITS = (6, 12)  # bank card PINs: 6 to 12 digits
CHALLENGE_BYTES = (16, 128)
PIN_TRIES = 3  # wrong PINs in a row before the card locks itself (as Taiwan's ATM cards do)
MAX_CERTIFICATE = 4096

OK = b"\x90\x00"
END_OF_FILE = b"\x62\x82"  # fewer bytes than asked for: the file ends here
PIN_BLOCKED = b"\x69\x83"
SECURITY_NOT_SATISFIED = b"\x69\x82"
CONDITIONS_NOT_SATISFIED = b"\x69\x85"
WRONG_LENGTH = b"\x67\x00"
WRONG_DATA = b"\x6a\x80"
NOT_FOUND = b"\x6a\x82"
WRONG_P1P2 = b"\x6b\x00"
INS_NOT_SUPPORTED = b"\x6d\x00"
CLA_NOT_SUPPORTED = b"\x6e\x00"
CHIP_FAULT = b"\x6f\x00"

Transmit = Callable[[bytes], tuple[bytes, bytes]]  # command APDU → (response data, SW1 SW2)


class CardFault(CardError):
    """The card answered something our protocol does not allow (a chip fault, or not quite our card)."""

    key = "card.bank_card.fault"


def pin_tries_left(status: bytes) -> int | None:
    """``63 Cx`` → x (a wrong PIN, x tries left); None for any other status."""
    if len(status) == 2 and status[0] == 0x63 and status[1] & 0xF0 == 0xC0:
        return status[1] & 0x0F
    return None


def pin_block(pin: str) -> bytearray:
    """ISO 9564 format 2: ``2N`` (N digits), the digits as BCD nibbles, ``F`` filler; 8 bytes."""
    if not pin.isascii() or not pin.isdigit() or not PIN_DIGITS[0] <= len(pin) <= PIN_DIGITS[1]:
        raise CardError("card.bank_card.pin_format")
    nibbles = bytearray([0x2, len(pin)]) + bytearray(int(d) for d in pin)
    nibbles += bytearray([0xF] * (16 - len(nibbles)))
    block = bytearray(nibbles[i] << 4 | nibbles[i + 1] for i in range(0, 16, 2))
    nibbles[:] = bytes(len(nibbles))
    return block


def pin_from_block(block: bytes) -> str | None:
    """The card's reading of a PIN block; None when it is not a well-formed format 2 block."""
    if len(block) != 8 or block[0] >> 4 != 0x2:
        return None
    count = block[0] & 0x0F
    nibbles = [n for byte in block[1:] for n in (byte >> 4, byte & 0x0F)]
    digits, filler = nibbles[:count], nibbles[count:]
    if not PIN_DIGITS[0] <= count <= PIN_DIGITS[1] or any(d > 9 for d in digits) or any(f != 0xF for f in filler):
        return None
    return "".join(str(d) for d in digits)


def verify_command(block: bytes | bytearray) -> bytes:
    return bytes([0x00, INS_VERIFY, 0x00, PIN_REFERENCE, len(block)]) + bytes(block)


def read_binary_command(offset: int, length: int) -> bytes:
    return bytes([0x00, INS_READ_BINARY, offset >> 8 & 0x7F, offset & 0xFF, length & 0xFF])


def internal_authenticate_command(challenge: bytes) -> bytes:
    return bytes([0x00, INS_INTERNAL_AUTHENTICATE, 0x00, 0x00, len(challenge)]) + challenge + b"\x00"


def is_bank_card(transmit: Transmit) -> bool:
    """Whether the card in the reader has our application (used to tell the card's type on insert)."""
    return transmit(SELECT_APP)[1] == OK


def _der_length(head: bytes) -> int:
    """The whole DER certificate's length from its first bytes (a SEQUENCE with a long-form length)."""
    if len(head) < 4 or head[0] != 0x30:
        raise CardFault()
    if head[1] == 0x81:
        return 3 + head[2]
    if head[1] == 0x82:
        return 4 + (head[2] << 8 | head[3])
    raise CardFault()


def read_certificate(transmit: Transmit) -> bytes:
    """SELECT the certificate file, then READ BINARY in chunks up to the DER length the first chunk gives."""
    if transmit(SELECT_CERTIFICATE)[1] != OK:
        raise CardFault()
    certificate = b""
    total = None
    while total is None or len(certificate) < total:
        wanted = READ_CHUNK if total is None else min(READ_CHUNK, total - len(certificate))
        data, status = transmit(read_binary_command(len(certificate), wanted))
        if status not in (OK, END_OF_FILE) or not data:
            raise CardFault()
        certificate += data
        if total is None:
            total = _der_length(certificate)
            if total > MAX_CERTIFICATE:
                raise CardFault()
        if status == END_OF_FILE and len(certificate) < total:
            raise CardFault()
    return certificate[:total]


def verify_pin(transmit: Transmit, block: bytes | bytearray) -> None:
    """VERIFY with a PIN block: 63 Cx counts down, 69 83 (or 63 C0) is a locked card."""
    _, status = transmit(verify_command(block))
    if status == OK:
        return
    left = pin_tries_left(status)
    if status == PIN_BLOCKED or left == 0:
        raise PinLocked("card.bank_card.pin_locked")
    if left is not None:
        raise PinWrong("card.bank_card.pin_wrong", tries_left=left)
    raise CardFault()


def sign_challenge(transmit: Transmit, pin: Personal[str], challenge: bytes) -> BankCardSignature:
    """The whole exchange. A PIN that is not 6-12 digits never reaches the card; the PIN goes to the card only
    after the card proved to be ours and its certificate was read (a fault there costs no PIN try). The PIN is
    wiped, and its block zeroed, whatever happens."""
    block = bytearray()
    try:
        if not CHALLENGE_BYTES[0] <= len(challenge) <= CHALLENGE_BYTES[1]:
            raise ValueError("a challenge of 16 to 128 bytes")
        block = pin_block(pin.reveal())
        pin.wipe()
        if not is_bank_card(transmit):
            raise UnknownCard("card.bank_card.wrong_card")
        certificate = read_certificate(transmit)
        verify_pin(transmit, block)
        signature, status = transmit(internal_authenticate_command(challenge))
        if status == PIN_BLOCKED:
            raise PinLocked("card.bank_card.pin_locked")
        if status != OK or not signature:
            raise CardFault()
        return BankCardSignature(certificate, signature)
    finally:
        pin.wipe()
        block[:] = bytes(len(block))
