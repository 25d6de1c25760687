"""The NHI (健保) card: select its application, read the 57-byte basic data, parse it to a typed model.

Layout: card number [0:12] ASCII, name [12:32] Big5, national ID [32:42], birth date [42:49] ROC
yyyMMdd, sex [49] (M/F or 1/2), issue date [50:57] ROC yyyMMdd.
"""

from __future__ import annotations

from datetime import date

from counter_core.personal import Personal
from hardware.cards.interface import NhiCard, UnknownCard

# SELECT the NHI application (AID D1 58 00 00 01 00 00 00 00 00 00 00 00 00 11 00, 16 bytes).
SELECT_NHI = bytes.fromhex("00 A4 04 00 10 D1 58 00 00 01 00 00 00 00 00 00 00 00 00 11 00")
READ_BASIC = bytes.fromhex("00 CA 11 00 02 00 00")
OK = b"\x90\x00"
DATA_LENGTH = 57


def roc_date(text: str) -> date:
    """``yyyMMdd`` in the ROC calendar (民國) to a date."""
    if len(text) != 7 or not text.isdigit():
        raise ValueError("not an ROC yyyMMdd date")
    return date(int(text[:3]) + 1911, int(text[3:5]), int(text[5:7]))


def to_roc(value: date) -> str:
    return f"{value.year - 1911:03d}{value.month:02d}{value.day:02d}"


def parse_basic_data(data: bytes) -> NhiCard:
    """The card's answer to READ BASIC DATA (without SW1 SW2). Garbage raises ``UnknownCard``, never
    anything else: cards and readers do send surprises."""
    if len(data) < DATA_LENGTH:
        raise UnknownCard()
    try:
        card_number = data[0:12].decode("ascii")
        name = data[12:32].rstrip(b"\x00 ").decode("cp950")
        national_id = data[32:42].decode("ascii")
        birth = roc_date(data[42:49].decode("ascii"))
        sex_byte = data[49:50].decode("ascii")
        issue_text = data[50:57].decode("ascii")
        issued = roc_date(issue_text) if issue_text.strip("0 ") else None
    except (UnicodeDecodeError, ValueError):
        raise UnknownCard() from None
    if not card_number.isdigit() or not national_id.isalnum() or sex_byte not in "MF12":
        raise UnknownCard()
    sex = "M" if sex_byte in "M1" else "F"
    return NhiCard(
        Personal(card_number, "NHI card number"),
        Personal(name, "name"),
        Personal(national_id, "national ID"),
        Personal(birth, "birth date"),
        sex,
        issued,
    )


def encode_basic_data(
    card_number: str, name: str, national_id: str, birth: date, sex: str, issued: date | None
) -> bytes:
    """What an NHI card holds (for virtual cards and tests)."""
    name_bytes = name.encode("cp950")[:20].ljust(20, b"\x00")
    return (
        card_number.encode("ascii").rjust(12, b"0")
        + name_bytes
        + national_id.encode("ascii")
        + to_roc(birth).encode()
        + sex.encode()
        + (to_roc(issued) if issued else "0000000").encode()
    )
