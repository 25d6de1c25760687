"""The clerk station's own audit log (SQLite): who viewed, purged or exported which datasets when.

Never the values, never the code itself (only its hash), never the citizen's identity.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path


class LocalAudit:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, time TEXT, clerk TEXT, agency TEXT,"
                " event TEXT, transaction_id TEXT, dataset_ids TEXT, code_hash TEXT, source TEXT)"
            )

    def record(
        self,
        event: str,
        *,
        clerk: str,
        agency: str,
        transaction_id: str = "",
        dataset_ids: list[str] | None = None,
        code: str = "",
        source: str = "",
    ) -> None:
        if self._db is None:
            return
        row = (
            datetime.now(UTC).isoformat(timespec="seconds"),
            clerk,
            agency,
            event,
            transaction_id,
            ",".join(dataset_ids or []),
            hashlib.sha256(code.encode()).hexdigest()[:16] if code else "",
            source,
        )
        with self._lock:
            if self._db is None:  # closed meanwhile (the station is stopping)
                return
            self._db.execute(
                "INSERT INTO events (time, clerk, agency, event, transaction_id, dataset_ids, code_hash,"
                " source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )

    def events(self) -> list[dict[str, str]]:
        if self._db is None:
            return []
        with self._lock:
            cursor = self._db.execute(
                "SELECT time, clerk, agency, event, transaction_id, dataset_ids, source FROM events ORDER BY id"
            )
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
