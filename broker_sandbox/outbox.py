"""The citizen's mail and SMS as the sandbox delivers them.

E-mail really goes over SMTP: a background sender hands each message to the aiosmtpd sink
(``mailsink``, its own process), which stores what it receives in the outbox table; SMS are stored
directly. The outbox page shows both (the demo's stand-in for the citizen's inbox and phone).
"""

from __future__ import annotations

import logging
import os
import queue
import smtplib
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from email.header import Header
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr
from typing import Any

from broker_sandbox.store import Store

log = logging.getLogger(__name__)
SENDER_ADDRESS = "no-reply@mydata.sandbox"
_SMTP_LINES = compat32.clone(linesep="\r\n")  # SMTP wants CRLF; smtplib leaves bytes as they are
SENDER = formataddr(("MyData 個人化資料自主運用", SENDER_ADDRESS), "utf-8")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _message(recipient: str, subject: str, body: str) -> bytes:
    """A plain UTF-8 text mail. The compat32 ``MIMEText`` API on purpose: it is ~10x cheaper than
    ``EmailMessage`` with the default policy, which matters at hundreds of redemptions a second."""
    message = MIMEText(body, "plain", "utf-8")
    message["From"] = SENDER
    message["To"] = recipient
    message["Subject"] = Header(subject, "utf-8").encode()
    return message.as_bytes(policy=_SMTP_LINES)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Outbox:
    def __init__(self, store: Store, smtp_port: int = 0) -> None:
        self._store = store
        self._port = smtp_port or _free_port()
        self._sink: subprocess.Popen[bytes] | None = None
        self._sender: threading.Thread | None = None
        self._queue: queue.Queue[tuple[str, str, str]] = queue.Queue()
        self._lock = threading.Lock()

    def _start_sink(self) -> None:
        """(Re)start the mail server process and wait until it accepts connections."""
        if self._sink is not None and self._sink.poll() is None:
            return
        command = [sys.executable, "-m", "broker_sandbox.mailsink", "--port", str(self._port),
                   "--database", str(self._store.path), "--parent", str(os.getpid())]  # fmt: skip
        self._sink = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self._sink.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self._port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        log.warning("outbox: the mail server did not start on port %d", self._port)

    def _send_loop(self) -> None:
        """Deliver queued mail, one SMTP connection per burst (as a mail relay would)."""
        while True:
            batch = [self._queue.get()]
            while len(batch) < 100:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._start_sink()
            try:
                with smtplib.SMTP("127.0.0.1", self._port, timeout=10) as smtp:
                    for recipient, subject, body in batch:
                        smtp.sendmail(SENDER_ADDRESS, [recipient], _message(recipient, subject, body))
            except (OSError, smtplib.SMTPException) as exc:
                log.warning("outbox: could not deliver %d notification e-mail(s): %s", len(batch), type(exc).__name__)

    def send_email(self, recipient: str, subject: str, body: str) -> None:
        """Queue a mail; the sender thread starts the mail server and delivers, so redemptions never
        wait for SMTP."""
        with self._lock:
            if self._sender is None:
                self._sender = threading.Thread(target=self._send_loop, daemon=True, name="mail-sender")
                self._sender.start()
        self._queue.put((recipient, subject, body))

    def send_sms(self, phone: str, text: str) -> None:
        self._store.db.execute(
            "INSERT INTO outbox (kind, recipient, subject, body, time) VALUES ('sms', ?, '', ?, ?)",
            [phone, text, _now()],
        )

    def messages(self, limit: int = 50) -> list[dict[str, Any]]:
        return list(self._store.db.query("SELECT * FROM outbox ORDER BY id DESC LIMIT ?", [limit]))

    def close(self) -> None:
        if self._sink is not None and self._sink.poll() is None:
            self._sink.terminate()
            self._sink.wait(timeout=10)
