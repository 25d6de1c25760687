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
from mydata_counter.datacode import damm_valid

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


def scan_sqlite(path: Path, known: dict[str, str]) -> Iterator[Finding]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in db.execute(f"SELECT * FROM [{table}]"):
                yield from scan_text(" ".join(str(v) for v in row), f"{path.name}:{table}", known)


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
