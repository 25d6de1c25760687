"""The citizen's mail and SMS as the sandbox delivers them.

E-mail really goes over SMTP: a background sender hands each message to an aiosmtpd sink running
in this process, which stores what it receives in the outbox table; SMS are stored directly. The
outbox page shows both (the demo's stand-in for the citizen's inbox and phone).
"""

from __future__ import annotations

import logging
import queue
import smtplib
import socket
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller

from broker_sandbox.store import Store

log = logging.getLogger(__name__)
SENDER = "MyData 個人化資料自主運用 <no-reply@mydata.sandbox>"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _SinkHandler:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        message = BytesParser(policy=default_policy).parsebytes(envelope.content)
        body = message.get_body(preferencelist=("plain",))
        self._store.db.table("outbox").insert({
            "kind": "email", "recipient": ", ".join(envelope.rcpt_tos), "subject": str(message["Subject"]),
            "body": body.get_content() if body else "", "time": _now(),
        })  # fmt: skip
        return "250 OK"


def _message(recipient: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    return message


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Outbox:
    def __init__(self, store: Store, smtp_port: int = 0) -> None:
        self._store = store
        self._port = smtp_port or _free_port()
        self._controller: Controller | None = None
        self._queue: queue.Queue[tuple[str, str, str]] = queue.Queue()
        self._lock = threading.Lock()

    def _start(self) -> None:
        with self._lock:
            if self._controller is not None:
                return
            logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line at INFO
            self._controller = Controller(_SinkHandler(self._store), hostname="127.0.0.1", port=self._port)
            self._controller.start()
            threading.Thread(target=self._send_loop, daemon=True, name="mail-sender").start()

    def _send_loop(self) -> None:
        """Deliver queued mail, one SMTP connection per burst (as a mail relay would)."""
        while True:
            batch = [self._queue.get()]
            while len(batch) < 100:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                with smtplib.SMTP("127.0.0.1", self._port, timeout=10) as smtp:
                    for recipient, subject, body in batch:
                        smtp.send_message(_message(recipient, subject, body))
            except (OSError, smtplib.SMTPException):
                log.warning("outbox: could not deliver %d notification e-mail(s)", len(batch))

    def send_email(self, recipient: str, subject: str, body: str) -> None:
        """Queue a mail; delivery happens in the background so redemptions never wait for SMTP."""
        self._start()
        self._queue.put((recipient, subject, body))

    def send_sms(self, phone: str, text: str) -> None:
        self._store.db.table("outbox").insert(
            {"kind": "sms", "recipient": phone, "subject": "", "body": text, "time": _now()}
        )

    def messages(self, limit: int = 50) -> list[dict[str, Any]]:
        return list(self._store.db.query("SELECT * FROM outbox ORDER BY id DESC LIMIT ?", [limit]))

    def close(self) -> None:
        if self._controller is not None:
            self._controller.stop()
