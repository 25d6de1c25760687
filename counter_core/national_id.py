"""Taiwan national ID (身分證統一編號): a letter for the registration area, sex digit, 7 digits,
a check digit. Validated on the kiosk before any broker call; generated for sandbox citizens."""

from __future__ import annotations

import random
import re
from typing import Final

# Letter → two-digit area number (A=10 … Z=33, with I, O, W, Z… in their historical places).
LETTER_VALUES: Final = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "I": 34, "J": 18,
    "K": 19, "L": 20, "M": 21, "N": 22, "O": 35, "P": 23, "Q": 24, "R": 25, "S": 26, "T": 27,
    "U": 28, "V": 29, "W": 32, "X": 30, "Y": 31, "Z": 33,
}  # fmt: skip
_WEIGHTS: Final = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)
_PATTERN: Final = re.compile(r"[A-Z][12][0-9]{8}")


def _checksum(national_id: str) -> int:
    value = LETTER_VALUES[national_id[0]]
    digits = [value // 10, value % 10, *(int(c) for c in national_id[1:])]
    return sum(d * w for d, w in zip(digits, _WEIGHTS, strict=True)) % 10


def is_valid_national_id(text: str) -> bool:
    candidate = text.strip().upper()
    return bool(_PATTERN.fullmatch(candidate)) and _checksum(candidate) == 0


def complete_national_id(first_nine: str) -> str:
    """Append the check digit to a letter + 8 digits."""
    prefix = first_nine.upper()
    if not re.fullmatch(r"[A-Z][12][0-9]{7}", prefix):
        raise ValueError("need a letter, 1 or 2, and 7 digits")
    for digit in "0123456789":
        if _checksum(prefix + digit) == 0:
            return prefix + digit
    raise AssertionError("unreachable: one check digit always fits")


def random_national_id(rng: random.Random, sex: int | None = None) -> str:
    letter = rng.choice(sorted(LETTER_VALUES))
    sex_digit = str(sex if sex in (1, 2) else rng.choice((1, 2)))
    body = "".join(str(rng.randrange(10)) for _ in range(7))
    return complete_national_id(letter + sex_digit + body)


def masked(national_id: str) -> str:
    """``A12****789``: enough for a citizen to recognise their own ID on screen."""
    return national_id[:3] + "****" + national_id[7:] if len(national_id) == 10 else "**********"
