"""Append-only, hash-chained audit: who/what/when, never the personal values themselves.

Each record's ``hash`` is SHA-256 over the previous record's hash and this record's fields, so an
edited, deleted or reordered row breaks the chain from that row on; ``verify`` finds it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from broker_sandbox.store import Store
from counter_core.clock import Clock, SystemClock

GENESIS = "0" * 64
_FIELDS = ("seq", "time", "event", "terminal", "clerk", "code_hash", "dataset_ids", "prev_hash")


def code_hash(code: str) -> str:
    return hashlib.sha256(f"mydata-code:{code}".encode()).hexdigest()


def _digest(record: dict[str, object]) -> str:
    canonical = json.dumps([record[name] for name in _FIELDS], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class AuditLog:
    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self._store = store
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()

    def append(
        self,
        event: str,
        *,
        terminal: str = "",
        clerk: str = "",
        code: str | None = None,
        dataset_ids: list[str] | None = None,
    ) -> None:
        with self._lock:
            db = self._store.db
            last = list(db.query("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"))
            record: dict[str, object] = {
                "seq": (int(last[0]["seq"]) + 1) if last else 1,
                "time": datetime.fromtimestamp(self._clock.now(), UTC).isoformat(timespec="milliseconds"),
                "event": event,
                "terminal": terminal,
                "clerk": clerk,
                "code_hash": code_hash(code) if code else "",
                "dataset_ids": ",".join(dataset_ids or []),
                "prev_hash": str(last[0]["hash"]) if last else GENESIS,
            }
            record["hash"] = _digest(record)
            columns = [*_FIELDS, "hash"]
            db.execute(
                f"INSERT INTO audit ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                [record[name] for name in columns],
            )


@dataclass(frozen=True)
class AuditVerdict:
    ok: bool
    records: int
    first_bad_seq: int | None = None
    reason: str = ""


def verify(store: Store) -> AuditVerdict:
    previous = GENESIS
    expected_seq = 1
    count = 0
    for row in store.db.query("SELECT * FROM audit ORDER BY seq"):
        count += 1
        seq = int(row["seq"])
        if seq != expected_seq:
            return AuditVerdict(False, count, expected_seq, "a record is missing")
        if row["prev_hash"] != previous:
            return AuditVerdict(False, count, seq, "chain broken: previous hash differs")
        if _digest(row) != row["hash"]:
            return AuditVerdict(False, count, seq, "record edited: its hash differs")
        previous = str(row["hash"])
        expected_seq += 1
    return AuditVerdict(True, count)
