"""Notification e-mail is queued with the redemption and relayed by the sandbox's mail process: when
that process dies, mail waits in the queue and arrives once it is back — none is lost."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import requests

from broker_client import BrokerClient
from broker_sandbox.mailsink import Relay
from broker_sandbox.outbox import RESTART_AFTER_S
from broker_sandbox.store import Store
from counter_core.settings import Settings
from mydata_counter.servicerunner import free_port
from mydata_counter.testing import wait_for
from mydata_counter.testing.processes import serving_pids
from mydata_counter.testing.sandbox import citizens, seed_codes


def _mails_to(url: str, email: str) -> list[dict[str, str]]:
    messages = requests.get(f"{url}/outbox.json", timeout=5).json()["messages"]
    return [m for m in messages if m["kind"] == "email" and m["recipient"] == email]


def _mail_process(port: int) -> int | None:
    for pid in serving_pids(port):
        if b"broker_sandbox.mailsink" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return pid
    return None


def test_mail_queued_while_the_mail_process_is_down_arrives_after_it_restarts(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, url = broker
    people = citizens(settings)
    token = client.clerk_login("clerk-hualien", "hualien-demo").token
    first, second, third = seed_codes(settings, 3)  # seeded for citizens 0, 1, 2
    client.redeem(token, first)
    assert wait_for(lambda: _mails_to(url, people[0].email), timeout_s=15)
    mail_pid = _mail_process(settings.sandbox.port)
    assert mail_pid is not None

    os.kill(mail_pid, signal.SIGKILL)
    assert wait_for(lambda: _mail_process(settings.sandbox.port) != mail_pid, timeout_s=5)
    client.redeem(token, second)  # its mail is queued; the mail process may not be back yet
    time.sleep(RESTART_AFTER_S)
    client.redeem(token, third)  # the next mail starts the mail process again
    assert wait_for(lambda: _mails_to(url, people[1].email) and _mails_to(url, people[2].email), timeout_s=15)
    assert wait_for(
        lambda: Store(settings.sandbox.database).db.execute("SELECT count(*) FROM mail_queue").fetchone()[0] == 0
    )
    assert _mail_process(settings.sandbox.port) not in (None, mail_pid)


def test_relay_keeps_the_queue_when_no_mail_server_answers_and_backs_off(tmp_path: Path) -> None:
    store = Store(tmp_path / "sandbox.db")
    store.db.execute(
        "INSERT INTO mail_queue (recipient, subject, body, queued_at) VALUES ('a@example.tw', 's', 'b', 0)"
    )
    relay = Relay(store, free_port())  # nothing listens there
    assert relay.relay_once() == 0 and relay.failing
    assert store.db.execute("SELECT count(*) FROM mail_queue").fetchone()[0] == 1  # still queued
