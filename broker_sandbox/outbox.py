"""The citizen's mail and SMS as the sandbox delivers them.

A notification e-mail is queued in the ``mail_queue`` table right after the redemption is on record
(its own statement, not the redemption's transaction), so once queued it survives a restart of the
sandbox or of its mail server. The
sandbox's mail process (``mailsink``: started on the first mail, gone with the sandbox, restarted if it
dies) relays the queue over real SMTP to its own aiosmtpd sink, which stores what it receives in the
outbox table; SMS are stored directly. The outbox page shows both (the demo's stand-in for the
citizen's inbox and phone). Building and sending mail thus never holds the broker's interpreter lock.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

from broker_sandbox.store import Store
from counter_core.clock import Clock, SystemClock

log = logging.getLogger(__name__)
RESTART_AFTER_S = 5.0  # a mail process that died is started again by the next mail, at most this often


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Outbox:
    def __init__(self, store: Store, smtp_port: int = 0, clock: Clock | None = None) -> None:
        self._store = store
        self._clock = clock or SystemClock()
        self._port = smtp_port or _free_port()
        self._sink: subprocess.Popen[bytes] | None = None
        self._started_at = -RESTART_AFTER_S
        self._lock = threading.Lock()

    def _ensure_mail_process(self) -> None:
        """Start the mail process if it is not running (first mail, or it died: the queue kept the mail)."""
        if self._sink is not None and self._sink.poll() is None:
            return
        with self._lock:
            running = self._sink is not None and self._sink.poll() is None
            if running or time.monotonic() - self._started_at < RESTART_AFTER_S:
                return
            if self._sink is not None:
                log.warning("outbox: the mail process exited (%s); starting it again", self._sink.returncode)
            command = [sys.executable, "-m", "broker_sandbox.mailsink", "--port", str(self._port),
                       "--database", str(self._store.path), "--parent", str(os.getpid())]  # fmt: skip
            self._sink = subprocess.Popen(command, stdin=subprocess.DEVNULL)
            self._started_at = time.monotonic()

    def send_email(self, recipient: str, subject: str, body: str) -> None:
        """Queue a mail for the mail process to relay; redemptions never wait for SMTP."""
        self._store.db.execute(
            "INSERT INTO mail_queue (recipient, subject, body, queued_at) VALUES (?, ?, ?, ?)",
            [recipient, subject, body, self._clock.now()],
        )
        self._ensure_mail_process()

    def resume(self) -> None:
        """At start: mail queued before a restart is relayed now."""
        if self._store.db.execute("SELECT 1 FROM mail_queue LIMIT 1").fetchone():
            self._ensure_mail_process()

    def send_sms(self, phone: str, text: str) -> None:
        self._store.db.execute(
            "INSERT INTO outbox (kind, recipient, subject, body, time) VALUES ('sms', ?, '', ?, ?)",
            [phone, text, datetime.fromtimestamp(self._clock.now(), UTC).isoformat(timespec="seconds")],
        )

    def messages(self, limit: int = 50) -> list[dict[str, Any]]:
        return list(self._store.db.query("SELECT * FROM outbox ORDER BY id DESC LIMIT ?", [limit]))

    def close(self) -> None:
        if self._sink is not None and self._sink.poll() is None:
            self._sink.terminate()
            self._sink.wait(timeout=10)
