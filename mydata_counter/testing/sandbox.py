"""Helpers for tests and benchmarks in any area: a running sandbox with a registered terminal, a
citizen walked through the kiosk flow to get a data code, and codes seeded straight into the database
for load runs."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives.serialization import Encoding

from broker_client import BrokerClient
from broker_client.models import IssuedCode
from broker_client.models_citizen import ContactKind
from broker_sandbox.audit import code_hash
from broker_sandbox.ca import citizen_credentials, sign_challenge
from broker_sandbox.citizens import Citizen, generate_citizens
from broker_sandbox.store import Store
from counter_core.datacode import new_code
from counter_core.settings import Settings
from mydata_counter.servicerunner import free_port, running_service
from mydata_counter.testing import wait_for


def sandbox_settings(base: Settings, folder: Path, **sandbox: Any) -> Settings:
    """``base`` with the sandbox on a free port, in demo mode, with an adjustable clock (``advance_clock``),
    its files and the terminal key in ``folder``."""
    data = base.model_dump()
    port = free_port()
    data["sandbox"].update({
        "port": port, "database": folder / "sandbox.db", "demo_mode": True, "smtp_port": 0,
        "adjustable_clock": True, **sandbox,
    })  # fmt: skip
    data["broker"].update({"url": f"http://127.0.0.1:{port}", "key_file": folder / "keys" / "terminal.pem"})
    return Settings(**data)


@contextmanager
def running_sandbox(settings: Settings) -> Iterator[str]:
    with running_service("sandbox", settings, port=settings.sandbox.port) as url:
        yield url


def citizens(settings: Settings) -> tuple[Citizen, ...]:
    return generate_citizens(settings.sandbox.seed, settings.sandbox.citizens)


def issue_code(
    client: BrokerClient,
    settings: Settings,
    citizen: Citizen,
    service_id: str = "hualien-disabled-parking",
    *,
    contact: ContactKind | None = None,
) -> IssuedCode:
    """Walk ``citizen`` through the kiosk flow with the MOICA card (+ NHI card and household number when
    it is their first use) and return the code. ``contact``: register and prove the citizen's e-mail or phone
    for notices first, as the kiosk asks on first use (without it no notice is sent)."""
    session = client.start_session(service_id)
    client.record_consent(session.session_id, session.terms_version, session.dataset_ids)
    challenge = client.moica_challenge(session.session_id)
    key, certificate = citizen_credentials(settings.sandbox.seed, citizen.national_id)
    status = client.moica_verify(
        session.session_id, certificate.public_bytes(Encoding.DER), sign_challenge(key, challenge)
    )
    if status.needs_another_method:
        client.nhi_household(session.session_id, citizen.nhi_card_number, citizen.household_number)
    if contact is not None:
        register_contact(client, settings.broker.url, session.session_id, citizen, contact)
    return client.issue_code(session.session_id)


def register_contact(client: BrokerClient, url: str, session_id: str, citizen: Citizen, kind: ContactKind) -> None:
    """Prove the citizen's e-mail (over the sandbox's SMTP relay) or phone with the code sent there."""
    address = citizen.email if kind == "email" else citizen.phone
    client.contact_send_code(session_id, kind, address)
    code = wait_for_code(url, address)
    assert code is not None, f"no code reached {kind}"
    client.contact_verify(session_id, kind, code)


def wait_for_code(url: str, recipient: str, timeout_s: float = 15.0, after: int = 0) -> str | None:
    """The newest 6-digit code sent to ``recipient`` (SMS or e-mail) with an outbox id above ``after``."""
    found: list[str] = []

    def arrived() -> bool:
        for message in requests.get(f"{url}/outbox.json", timeout=5).json()["messages"]:  # newest first
            if message["recipient"] == recipient and message["id"] > after:
                codes = re.findall(r"(?<!\d)\d{6}(?!\d)", message["body"])
                if codes:
                    found.append(codes[0])
                    return True
        return False

    return found[0] if wait_for(arrived, timeout_s) else None


def seed_contacts(settings: Settings, people: list[Citizen] | tuple[Citizen, ...]) -> None:
    """Verified e-mail contacts as the kiosk leaves them once each citizen proved theirs (for load runs)."""
    store = Store(settings.sandbox.database)
    now = time.time()
    store.db.table("contacts").upsert_all(
        ({"national_id": c.national_id, "phone": "", "phone_verified_at": 0.0, "email": c.email,
          "email_verified_at": now, "primary_kind": "email"} for c in people),
        pk="national_id",
    )  # fmt: skip


def advance_clock(broker_url: str, seconds: float) -> None:
    """Move the sandbox's clock forward (codes, pushes, sessions and lockouts expire) instead of sleeping."""
    response = requests.post(f"{broker_url}/testing/clock", json={"advance_s": seconds}, timeout=5)
    response.raise_for_status()


def approve_push(broker_url: str, national_id: str, push_id: str, choice: str, action: str = "approve") -> str:
    """What the citizen does on the phone simulator."""
    response = requests.post(
        f"{broker_url}/phone/{national_id}/pushes/{push_id}", json={"action": action, "choice": choice}, timeout=5
    )
    return str(response.json()["state"])


def seed_codes(settings: Settings, count: int, *, contacts: bool = True) -> list[str]:
    """Codes as the kiosk flow leaves them (issuing each through HTTP would dominate the run); with
    ``contacts`` the citizens have a verified e-mail, so each redemption sends its notice as in the field."""
    store = Store(settings.sandbox.database)
    people = citizens(settings)
    if contacts:
        seed_contacts(settings, people[: min(count, len(people))])
    now = time.time()
    codes = [new_code() for _ in range(count)]
    batch = secrets.token_hex(4)
    datasets = json.dumps(["household_personal", "disability", "vehicles"])
    store.db.table("codes").insert_all(
        {"code_hash": code_hash(code), "session_id": f"bench-{batch}-{i}", "agency_id": "hualien",
         "service_id": "hualien-disabled-parking", "national_id": people[i % len(people)].national_id,
         "dataset_ids": datasets, "methods": '["moica"]', "issued_at": now, "expires_at": now + 3600,
         "redeemed_at": 0.0, "redeemed_by": "", "transaction_id": ""}
        for i, code in enumerate(codes)
    )  # fmt: skip
    return codes
