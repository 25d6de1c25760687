"""The dynamic data code: 16 digits = 15 random digits + a Damm check digit.

QR payload ``MYDATA1:`` + the 16 digits (unsigned: checked online only), or ``MYDATA2:`` + the broker's
signed claims (``signed_code``); Code128 carries the 16 digits alone. The Damm algorithm
catches every single-digit error and every adjacent transposition, so typos are caught before any
broker call. Shared by the broker (issuing), decoders and keypads (validating) and receipts.
"""

from __future__ import annotations

import re
import secrets
from typing import Final

CODE_LENGTH: Final = 16
QR_PREFIX: Final = "MYDATA1:"
SIGNED_PREFIX: Final = "MYDATA2:"

# Damm's totally anti-symmetric quasigroup of order 10.
_DAMM: Final = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
_DIGITS = re.compile(r"[0-9]+")


def damm_interim(digits: str) -> int:
    interim = 0
    for char in digits:
        interim = _DAMM[interim][ord(char) - 48]
    return interim


def damm_check_digit(digits: str) -> str:
    """The digit to append to ``digits`` (ASCII 0-9 only) so the whole validates."""
    if not _DIGITS.fullmatch(digits):
        raise ValueError("digits only")
    return str(damm_interim(digits))


def damm_valid(digits: str) -> bool:
    return bool(_DIGITS.fullmatch(digits)) and damm_interim(digits) == 0


def new_code() -> str:
    """15 digits from the OS CSPRNG plus the check digit."""
    body = "".join(str(secrets.randbelow(10)) for _ in range(CODE_LENGTH - 1))
    return body + damm_check_digit(body)


def is_valid_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and damm_valid(code)


def qr_payload(code: str) -> str:
    return QR_PREFIX + code


def code_from_symbol(text: str, symbology: str) -> str | None:
    """The data code a scanned symbol carries, or None if it is not a valid MyData code.

    ``symbology`` is "QRCode" or "Code128": a QR must carry ``MYDATA1:`` + 16 digits or a well-formed signed
    code (``MYDATA2:``; its signature is the clerk station's check), a Code128 the 16 digits alone. Anything
    else (product barcodes, URLs, bad check digit) is not a code.
    """
    if symbology == "QRCode" and text.startswith(SIGNED_PREFIX):
        from counter_core.signed_code import code_in_text  # the signed format builds on this module

        return code_in_text(text)
    if symbology == "QRCode":
        if not text.startswith(QR_PREFIX):
            return None
        candidate = text[len(QR_PREFIX) :]
    elif symbology == "Code128":
        candidate = text
    else:
        return None
    return candidate if is_valid_code(candidate) else None


# Full-width forms (U+FF01-U+FF5E: ０-９, －, ：, ＭＹＤＡＴＡ) → ASCII: a Chinese input method left in
# full-width mode types these. Other digits (Arabic-Indic, superscripts …) are not mapped and not codes.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def normalise_typed(text: str) -> str:
    """Digits a person typed or a wedge scanner sent, with spaces, dashes and the QR prefix removed.

    Full-width characters count as their ASCII forms; anything else is left for ``is_valid_code`` to refuse.
    """
    stripped = text.translate(_FULL_WIDTH).strip()
    if stripped.upper().startswith(QR_PREFIX):
        stripped = stripped[len(QR_PREFIX) :]
    return re.sub(r"[\s\-]", "", stripped)


def grouped(code: str) -> str:
    """``1234 5678 9012 3456``: how the code is printed and shown."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))
