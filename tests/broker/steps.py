"""What a kiosk does for each identity method, over real HTTP against the sandbox: one helper per method,
so tests can try any method on any session."""

from __future__ import annotations

import re

import requests
from cryptography.hazmat.primitives.serialization import Encoding

from broker_client import BrokerClient
from broker_client.models import IdentityMethod, IdentityStatus
from broker_sandbox.ca import citizen_credentials, sign_challenge
from broker_sandbox.cards import SandboxCards
from broker_sandbox.citizens import Citizen
from counter_core.settings import Settings
from mydata_counter.testing.sandbox import approve_push, citizens


def consented(client: BrokerClient, service: str) -> str:
    session = client.start_session(service)
    client.record_consent(session.session_id, session.terms_version, session.dataset_ids)
    return session.session_id


def latest_otp(url: str, phone: str) -> str | None:
    """The newest SMS code sent to ``phone`` (the phone's side of the outbox), if any."""
    for message in requests.get(f"{url}/outbox.json", timeout=5).json()["messages"]:  # newest first
        if message["kind"] == "sms" and message["recipient"] == phone:
            found = re.search(r"\b\d{6}\b", message["body"])
            return found.group(0) if found else None
    return None


def sms_count(url: str, phone: str) -> int:
    messages = requests.get(f"{url}/outbox.json", timeout=5).json()["messages"]
    return sum(1 for m in messages if m["kind"] == "sms" and m["recipient"] == phone)


def moica(client: BrokerClient, settings: Settings, session_id: str, citizen: Citizen) -> IdentityStatus:
    challenge = client.moica_challenge(session_id)
    key, certificate = citizen_credentials(settings.sandbox.seed, citizen.national_id)
    return client.moica_verify(session_id, certificate.public_bytes(Encoding.DER), sign_challenge(key, challenge))


def bank_card(client: BrokerClient, settings: Settings, session_id: str, citizen: Citizen) -> IdentityStatus:
    challenge = client.bank_card_challenge(session_id)
    card = SandboxCards(settings.sandbox.seed, settings.sandbox.citizens).bank_card_credentials(citizen.national_id)
    assert card is not None
    return client.bank_card_verify(session_id, citizen.national_id, card.certificate_der, card.sign(challenge))


def mobile(client: BrokerClient, url: str, session_id: str, citizen: Citizen) -> IdentityStatus:
    push = client.mobile_push(session_id, citizen.national_id)
    assert approve_push(url, citizen.national_id, push.push_id, push.match_number) == "approved"
    state = client.push_status(session_id, push.push_id)
    assert state.identity is not None
    return state.identity


def otp(client: BrokerClient, url: str, session_id: str, citizen: Citizen) -> IdentityStatus:
    client.otp_send(session_id, citizen.national_id, citizen.phone)
    code = latest_otp(url, citizen.phone)
    assert code is not None, "no SMS reached the citizen's phone"
    return client.otp_verify(session_id, code)


def pass_method(
    client: BrokerClient, settings: Settings, url: str, session_id: str, citizen: Citizen, method: IdentityMethod
) -> IdentityStatus:
    """Pass ``method`` as the kiosk would, with the citizen's right card, password or details."""
    if method == "moica":
        return moica(client, settings, session_id, citizen)
    if method == "bank_card":
        return bank_card(client, settings, session_id, citizen)
    if method == "mobile":
        return mobile(client, url, session_id, citizen)
    if method == "otp":
        return otp(client, url, session_id, citizen)
    if method == "nhi_card":
        assert citizen.nhi_password is not None
        return client.nhi_card(session_id, citizen.nhi_card_number, citizen.nhi_password)
    if method == "nhi_household":
        return client.nhi_household(session_id, citizen.nhi_card_number, citizen.household_number)
    return client.multi_factor(
        session_id, citizen.national_id, citizen.birth_date, citizen.nhi_card_number,
        household_number=citizen.household_number,
    )  # fmt: skip


def registered(settings: Settings, start: int, count: int = 1) -> list[Citizen]:
    """``count`` citizens from index ``start`` on whose NHI card is registered for the network service."""
    return [c for c in citizens(settings)[start:] if c.nhi_password is not None][:count]


# Seed 001, 「MyData提供的個人資料集 … 適用驗證方式」: the five datasets the platform lists with their methods
# (自然人憑證 = moica, OTP簡訊 = otp, 健保卡 = nhi_card, 多因子 = multi_factor).
SEED_STRENGTH: dict[str, set[IdentityMethod]] = {
    "household_personal": {"moica", "otp"},
    "low_income": {"moica", "otp", "nhi_card", "multi_factor"},
    "labour_insurance": {"moica"},
    "land_and_prices": {"moica", "otp", "nhi_card"},
    "nhi_premiums": {"moica", "otp", "nhi_card"},
}
