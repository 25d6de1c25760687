"""The few ESC/POS commands the receipt needs, built here rather than through python-escpos.

python-escpos 3.1 sends Code128 code set C as ASCII digits, but ESC/POS code set C takes one byte (0-99)
per digit pair, so a real printer would print a different number; and it prints "Using hardware barcode
renderer" to stdout on every call. The capture printer (``capture.py``) parses exactly these bytes back.
"""

from __future__ import annotations

ESC, GS, DLE, EOT = b"\x1b", b"\x1d", b"\x10", b"\x04"
INITIALIZE = ESC + b"@"  # clears the print buffer and resets modes left over from an earlier job
ALIGN_LEFT, ALIGN_CENTER = ESC + b"a\x00", ESC + b"a\x01"

# Real-time status (DLE EOT n): printer, offline cause, paper sensor.
DLE_EOT_PRINTER = DLE + EOT + b"\x01"
DLE_EOT_OFFLINE_CAUSE = DLE + EOT + b"\x02"
DLE_EOT_PAPER = DLE + EOT + b"\x04"

QR_MODEL_2, QR_EC_M = 50, 49  # GS ( k function 165 argument '2'; function 169 argument '1' (level M)
CODE128 = 73  # GS k m=73: Code128, function B (length-prefixed data)


def is_status_reply(byte: int) -> bool:
    """DLE EOT answers always have bits 1 and 4 set and bits 0 and 7 clear (0xx1xx10); automatic status
    back blocks, printer IDs and stray data do not, so a byte that fails this is never read as status."""
    return byte & 0x93 == 0x12


def _qr_function(fn: int, data: bytes) -> bytes:
    size = len(data) + 2
    return GS + b"(k" + bytes((size & 0xFF, size >> 8, 49, fn)) + data  # cn 49: QR Code


def qr_code(payload: str, module_px: int) -> bytes:
    """GS ( k: select model 2, module size, error correction M, store the data, print the symbol."""
    module_px = max(1, min(16, module_px))
    return b"".join(
        (
            _qr_function(65, bytes((QR_MODEL_2, 0))),
            _qr_function(67, bytes((module_px,))),
            _qr_function(69, bytes((QR_EC_M,))),
            _qr_function(80, b"0" + payload.encode("ascii")),
            _qr_function(81, b"0"),
        )
    )


def code128_digits(digits: str, module_px: int, height_px: int) -> bytes:
    """GS k 73 with code set C (``{C`` then one byte per digit pair), no human-readable line (the receipt
    prints the digits grouped and large itself), module width 2-6 dots and the bar height in dots."""
    if len(digits) % 2 or not digits.isdigit():
        raise ValueError("code set C needs an even number of digits")
    data = b"{C" + bytes(int(digits[i : i + 2]) for i in range(0, len(digits), 2))
    return b"".join(
        (
            GS + b"H\x00",  # HRI characters off
            GS + b"h" + bytes((max(1, min(255, height_px)),)),
            GS + b"w" + bytes((max(2, min(6, module_px)),)),
            GS + b"k" + bytes((CODE128, len(data))) + data,
        )
    )
