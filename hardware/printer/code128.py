"""Code128 in code set C for the data code's digits (start C, one symbol per digit pair, checksum, stop).

Our own, because python-barcode 0.16 drops a leading "99": right after the start code its optimiser
takes the value 99 (that digit pair) for the "switch to code C" character and folds both into START C,
so the one code in a hundred that starts with 99 printed a Code128 that reads as 14 digits.
"""

from __future__ import annotations

from collections.abc import Sequence

from barcode.charsets import code128 as charset

PATTERNS: tuple[str, ...] = charset.CODES  # the standard's bar patterns for values 0-105 (data, not logic)
STOP: str = charset.STOP
STOP_WITH_BAR: str = STOP + "11"  # the stop pattern and the symbol's final 2-module bar
START_C = 105


def checksum(values: Sequence[int]) -> int:
    """Code128's check symbol for the start code and the data values that follow it."""
    return (values[0] + sum(weight * value for weight, value in enumerate(values[1:], start=1))) % 103


def code128_modules(digits: str) -> str:
    """The symbol as modules ('1' bar, '0' space), quiet zones not included."""
    if not digits or len(digits) % 2 or not digits.isdigit():
        raise ValueError("code set C needs an even number of digits")
    values = [START_C, *(int(digits[i : i + 2]) for i in range(0, len(digits), 2))]
    return "".join(PATTERNS[value] for value in (*values, checksum(values))) + STOP_WITH_BAR
