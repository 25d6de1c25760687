"""The sandbox's mail server: an aiosmtpd sink in its own process that stores what it receives in the
outbox table (the demo's stand-in for the citizen's inbox).

Its own process, as a mail server is not part of a broker: parsing and storing mail then never holds
the broker's interpreter lock while clerks redeem codes. It exits when the process that started it is
gone. ``python -m broker_sandbox.mailsink --port P --database PATH --parent PID``.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from broker_sandbox.store import Store


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SinkHandler:
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


def serve_sink(port: int, database: Path, parent_pid: int) -> None:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line, addresses too
    controller = Controller(SinkHandler(Store(database)), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while os.getppid() == parent_pid:  # reparented: the sandbox is gone, so are we
            time.sleep(0.5)
    finally:
        controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--parent", type=int, required=True)
    args = parser.parse_args()
    serve_sink(args.port, args.database, args.parent)


if __name__ == "__main__":
    main()
