"""The sandbox's mail process: the broker's relay and the citizen's mail server in one process.

- Relay (broker side): takes notification e-mails from the ``mail_queue`` table, oldest first, and
  sends them over SMTP on one kept-open connection; a mail leaves the queue only once the server has
  accepted it, so a crash or an SMTP failure delays mail but never loses it.
- Sink (citizen side): an aiosmtpd server that stores what it receives in the outbox table (the demo's
  stand-in for the citizen's inbox).

Its own process, as a mail system is not part of a broker: building, sending, parsing and storing mail
never holds the broker's interpreter lock while clerks redeem codes. It exits when the process that
started it is gone. ``python -m broker_sandbox.mailsink --port P --database PATH --parent PID``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import smtplib
import time
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import Header, decode_header, make_header
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from broker_sandbox.store import Store

log = logging.getLogger(__name__)
SENDER_ADDRESS = "no-reply@mydata.sandbox"
SENDER = formataddr(("MyData 個人化資料自主運用", SENDER_ADDRESS), "utf-8")
_SMTP_LINES = compat32.clone(linesep="\r\n")  # SMTP wants CRLF; smtplib leaves bytes as they are
BATCH = 100
IDLE_S = 0.05
RETRY_S = 2.0  # after a failed delivery: a server that is down is not asked 20 times a second


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def message(recipient: str, subject: str, body: str) -> bytes:
    """A plain UTF-8 text mail. The compat32 ``MIMEText`` API on purpose: it is ~10x cheaper than
    ``EmailMessage`` with the default policy, which matters at hundreds of redemptions a second."""
    mail = MIMEText(body, "plain", "utf-8")
    mail["From"] = SENDER
    mail["To"] = recipient
    mail["Subject"] = Header(subject, "utf-8").encode()
    return mail.as_bytes(policy=_SMTP_LINES)


class SinkHandler:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        received = message_from_bytes(envelope.content)
        payload = received.get_payload(decode=True)
        text = payload.decode(received.get_content_charset() or "utf-8") if isinstance(payload, bytes) else ""
        self._store.db.execute(
            "INSERT INTO outbox (kind, recipient, subject, body, time) VALUES ('email', ?, ?, ?, ?)",
            [", ".join(envelope.rcpt_tos), str(make_header(decode_header(received["Subject"] or ""))), text, _now()],
        )
        return "250 OK"


class Relay:
    """Sends the queued mail; one SMTP connection kept open between batches."""

    def __init__(self, store: Store, port: int) -> None:
        self._store = store
        self._port = port
        self._smtp: smtplib.SMTP | None = None
        self.failing = False  # the last attempt failed: wait RETRY_S before the next, not IDLE_S

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = smtplib.SMTP("127.0.0.1", self._port, timeout=10)
        return self._smtp

    def relay_once(self) -> int:
        """Send up to ``BATCH`` queued mails; the number sent (0: nothing queued or the server refused)."""
        rows = self._store.db.execute(
            "SELECT id, recipient, subject, body FROM mail_queue ORDER BY id LIMIT ?", [BATCH]
        ).fetchall()
        sent: list[int] = []
        self.failing = False
        try:
            for mail_id, recipient, subject, body in rows:
                self._connection().sendmail(SENDER_ADDRESS, [recipient], message(recipient, subject, body))
                sent.append(mail_id)
        except (OSError, smtplib.SMTPException) as exc:
            unsent = len(rows) - len(sent)
            log.warning("mail relay: delivery failed (%s); %d mail(s) stay queued", type(exc).__name__, unsent)
            self.failing = True
            self.close()
        if sent:
            self._store.db.execute(
                f"DELETE FROM mail_queue WHERE id IN ({', '.join('?' * len(sent))})", sent
            )  # fmt: skip
        return len(sent)

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._smtp = None


def serve_mail(port: int, database: Path, parent_pid: int) -> None:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line, addresses too
    store = Store(database)
    controller = Controller(SinkHandler(store), hostname="127.0.0.1", port=port)
    controller.start()
    relay = Relay(store, port)
    try:
        while os.getppid() == parent_pid:  # reparented: the sandbox is gone, so are we
            if not relay.relay_once():
                time.sleep(RETRY_S if relay.failing else IDLE_S)
    finally:
        relay.close()
        controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--parent", type=int, required=True)
    args = parser.parse_args()
    serve_mail(args.port, args.database, args.parent)


if __name__ == "__main__":
    main()
