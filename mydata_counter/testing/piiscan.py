"""Scan logs, files and SQLite databases for personal data: the sandbox citizens' national IDs, names,
phones, e-mail addresses and NHI card numbers, PINs in assignments, and data codes (any 16 digits with a
valid Damm check digit, grouped or not)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from broker_sandbox.citizens import Citizen
from counter_core.datacode import damm_valid

_CODE = re.compile(r"(?<!\d)(\d{4}[ \-]?\d{4}[ \-]?\d{4}[ \-]?\d{4})(?!\d)")
_PIN = re.compile(r"(?i)\bpin\b\s*[=:]\s*\d{4,12}")


@dataclass(frozen=True)
class Finding:
    where: str
    kind: str  # never the value itself: the report must not leak what it found


def needles(citizens: Iterable[Citizen]) -> dict[str, str]:
    found: dict[str, str] = {}
    for citizen in citizens:
        found[citizen.national_id] = "national_id"
        found[citizen.phone] = "phone"
        found[citizen.email] = "email"
        found[citizen.nhi_card_number] = "nhi_card_number"
        if len(citizen.name) >= 3:  # two-character names also occur inside ordinary words
            found[citizen.name] = "name"
    return found


def scan_text(text: str, where: str, known: dict[str, str]) -> Iterator[Finding]:
    for value, kind in known.items():
        if value in text:
            yield Finding(where, kind)
    for match in _CODE.finditer(text):
        if damm_valid(re.sub(r"\D", "", match.group(1))):
            yield Finding(where, "data_code")
    if _PIN.search(text):
        yield Finding(where, "pin")


HASH_COLUMNS = frozenset({"hash", "prev_hash", "code_hash", "token_hash", "otp_hash"})


def scan_sqlite(path: Path, known: dict[str, str], tables: Iterable[str] | None = None) -> Iterator[Finding]:
    """Every row of ``tables`` (default: all). Hex digests are skipped: a run of 16 decimal digits inside
    one looks like a data code about once in 3 000 hashes, and a hash is what audit keeps instead."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        present = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in present if tables is None else [t for t in tables if t in present]:
            cursor = db.execute(f"SELECT * FROM [{table}]")
            keep = [i for i, column in enumerate(cursor.description) if column[0] not in HASH_COLUMNS]
            for row in cursor:
                yield from scan_text(" ".join(str(row[i]) for i in keep), f"{path.name}:{table}", known)


def scan_paths(paths: Iterable[Path], known: dict[str, str]) -> list[Finding]:
    findings: list[Finding] = []
    for root in paths:
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for path in files:
            if path.suffix in (".db", ".sqlite"):
                findings.extend(scan_sqlite(path, known))
            elif path.suffix in (".log", ".txt", ".json", ".toml", ".jsonl", ""):
                findings.extend(scan_text(path.read_text(encoding="utf-8", errors="replace"), path.name, known))
    return findings
