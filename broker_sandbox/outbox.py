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
from email import message_from_bytes
from email.header import Header, decode_header, make_header
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr
from typing import Any

from aiosmtpd.controller import Controller

from broker_sandbox.store import Store

log = logging.getLogger(__name__)
SENDER_ADDRESS = "no-reply@mydata.sandbox"
_SMTP_LINES = compat32.clone(linesep="\r\n")  # SMTP wants CRLF; smtplib leaves bytes as they are
SENDER = formataddr(("MyData 個人化資料自主運用", SENDER_ADDRESS), "utf-8")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _SinkHandler:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        message = message_from_bytes(envelope.content)
        payload = message.get_payload(decode=True)
        text = payload.decode(message.get_content_charset() or "utf-8") if isinstance(payload, bytes) else ""
        self._store.db.execute(
            "INSERT INTO outbox (kind, recipient, subject, body, time) VALUES ('email', ?, ?, ?, ?)",
            [", ".join(envelope.rcpt_tos), str(make_header(decode_header(message["Subject"] or ""))), text, _now()],
        )
        return "250 OK"


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
        self._controller: Controller | None = None
        self._queue: queue.Queue[tuple[str, str, str]] = queue.Queue()
        self._lock = threading.Lock()
        # aiosmtpd logs every SMTP command at INFO, addresses included: keep it to warnings.
        logging.getLogger("mail.log").setLevel(logging.WARNING)

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
                        smtp.sendmail(SENDER_ADDRESS, [recipient], _message(recipient, subject, body))
            except (OSError, smtplib.SMTPException) as exc:
                log.warning("outbox: could not deliver %d notification e-mail(s): %s", len(batch), type(exc).__name__)

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
