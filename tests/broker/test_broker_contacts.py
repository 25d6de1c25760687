"""The citizen's contact for notices, over real HTTP: registered after the identity check and proved with a code
sent there (e-mail over the sandbox's SMTP relay, SMS through the outbox); the notice of a redemption goes to the
verified main contact and nowhere else; bad addresses, wrong, expired and used-up codes, too many codes."""

from __future__ import annotations

import pytest
import requests

from broker_client import BrokerClient, errors
from broker_sandbox.citizens import Citizen
from counter_core.settings import Settings
from mydata_counter.testing import wait_for
from mydata_counter.testing.sandbox import advance_clock, citizens, issue_code, register_contact, wait_for_code
from tests.broker.steps import consented, moica

SERVICE = "hualien-disabled-parking"


def _verified(client: BrokerClient, settings: Settings, citizen: Citizen) -> str:
    """A session whose identity check is complete (first use: the certificate card, then NHI + household)."""
    session = consented(client, SERVICE)
    if moica(client, settings, session, citizen).needs_another_method:
        client.nhi_household(session, citizen.nhi_card_number, citizen.household_number)
    return session


def _messages(url: str) -> list[dict[str, str]]:
    return list(requests.get(f"{url}/outbox.json", params={"limit": 200}, timeout=5).json()["messages"])


def _notices_to(url: str, recipient: str) -> list[dict[str, str]]:
    return [m for m in _messages(url) if m["recipient"] == recipient and ("取用" in m["body"])]


def test_first_use_registers_a_verified_email_and_the_notice_goes_there_and_nowhere_else(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, url = broker
    citizen = citizens(settings)[90]
    session = _verified(client, settings, citizen)
    fresh = client.contact_status(session)
    assert fresh.first_registration and fresh.primary is None and fresh.email is None
    given = "Someone.Else+mydata@Example.TW"  # the citizen gives their own address, not the one "on file"
    sent = client.contact_send_code(session, "email", given)
    assert sent.sent_to == "S***@example.tw" and sent.tries == 3
    code = wait_for_code(url, "Someone.Else+mydata@example.tw")  # over SMTP, through the sandbox's mail process
    assert code is not None
    status = client.contact_verify(session, "email", code)
    assert status.email == "S***@example.tw" and status.primary == "email" and not status.first_registration
    issued = client.issue_code(session)

    clerk = client.clerk_login("clerk-hualien", "hualien-demo")
    redemption = client.redeem(clerk.token, issued.code)
    assert wait_for(lambda: _notices_to(url, "Someone.Else+mydata@example.tw"), timeout_s=15)
    notice = _notices_to(url, "Someone.Else+mydata@example.tw")[0]
    assert redemption.transaction_id in notice["body"]
    assert notice["subject"] == "MyData 資料取用通知 / Your data was accessed"
    assert not _notices_to(url, citizen.email) and not _notices_to(url, citizen.phone)  # never the unproved ones


def test_a_citizen_without_a_verified_contact_gets_no_notice(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, url = broker
    citizen = citizens(settings)[91]
    issued = issue_code(client, settings, citizen)  # no contact registered
    client.redeem(client.clerk_login("clerk-hualien", "hualien-demo").token, issued.code)
    assert not wait_for(lambda: _notices_to(url, citizen.email) or _notices_to(url, citizen.phone), timeout_s=2)


def test_a_phone_contact_proved_by_sms_gets_the_notice_as_sms(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, url = broker
    citizen = citizens(settings)[92]
    issued = issue_code(client, settings, citizen, contact="phone")
    redemption = client.redeem(client.clerk_login("clerk-hualien", "hualien-demo").token, issued.code)
    sms = [m for m in _notices_to(url, citizen.phone) if m["kind"] == "sms"]
    assert sms and redemption.transaction_id in sms[0]["body"]


def test_a_returning_citizen_changes_the_contact_only_with_proof_and_chooses_the_main_one(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, url = broker
    citizen = citizens(settings)[93]
    issue_code(client, settings, citizen, contact="email")
    session = _verified(client, settings, citizen)  # returning: one method
    before = client.contact_status(session)
    assert before.email is not None and before.primary == "email" and before.phone is None
    with pytest.raises(errors.ContactNotVerified):
        client.contact_primary(session, "phone")  # not proved yet
    client.contact_send_code(session, "email", "new.address@example.tw")
    pending = client.contact_status(session)
    assert pending.pending == "email" and pending.email == before.email  # the old one stays until the new is proved
    register_contact(client, url, session, citizen, "phone")
    both = client.contact_status(session)
    assert both.phone == f"{citizen.phone[:4]}-***-{citizen.phone[-3:]}" and both.primary == "email"
    assert client.contact_primary(session, "phone").primary == "phone"
    code = client.issue_code(session).code
    client.redeem(client.clerk_login("clerk-hualien", "hualien-demo").token, code)
    assert [m for m in _notices_to(url, citizen.phone) if m["kind"] == "sms"]


def test_bad_addresses_wrong_expired_and_used_up_codes_each_say_what_to_do(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, url = broker
    citizen = citizens(settings)[94]
    session = _verified(client, settings, citizen)
    for kind, address, error in (
        ("email", "not-an-address", errors.ContactEmailInvalid),
        ("email", "a@b", errors.ContactEmailInvalid),
        ("email", "two@@example.tw", errors.ContactEmailInvalid),
        ("phone", "0212345678", errors.ContactPhoneInvalid),
        ("phone", "09123", errors.ContactPhoneInvalid),
    ):
        with pytest.raises(error) as caught:
            client.contact_send_code(session, kind, address)  # type: ignore[arg-type]
        assert caught.value.message("zh-TW") and caught.value.message("en")
    with pytest.raises(errors.ContactNoCode):
        client.contact_verify(session, "phone", "123456")
    client.contact_send_code(session, "phone", "0987 654 321")
    with pytest.raises(errors.ContactCodeWrong) as wrong:
        client.contact_verify(session, "phone", "000000")
    assert wrong.value.params["tries_left"] == 2 and "2" in wrong.value.message("en")
    with pytest.raises(errors.ContactCodeWrong):
        client.contact_verify(session, "phone", "000002")
    with pytest.raises(errors.ContactCodeUsedUp) as used_up:
        client.contact_verify(session, "phone", "000003")
    assert "重新傳送" in used_up.value.message("zh-TW")
    right = wait_for_code(url, "0987654321")
    assert right is not None
    with pytest.raises(errors.ContactCodeUsedUp):
        client.contact_verify(session, "phone", right)  # the right code no longer works either
    client.contact_send_code(session, "phone", "0987654321")
    advance_clock(url, 601)
    with pytest.raises(errors.ContactCodeExpired):
        client.contact_verify(session, "phone", "123456")
    assert client.contact_status(session).phone is None


def test_codes_for_one_citizen_are_limited(client: BrokerClient, broker: tuple[Settings, str]) -> None:
    settings, _ = broker
    citizen = citizens(settings)[95]
    session = _verified(client, settings, citizen)
    for _ in range(5):
        client.contact_send_code(session, "email", "flood@example.tw")
    with pytest.raises(errors.ContactCodesLimited) as caught:
        client.contact_send_code(session, "email", "flood@example.tw")
    assert caught.value.retry_after_s > 0


def test_contacts_and_records_belong_to_a_proved_citizen_only(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, _ = broker
    citizen = citizens(settings)[96]
    session = consented(client, SERVICE)
    with pytest.raises(errors.IdentityRequired):
        client.contact_status(session)
    assert moica(client, settings, session, citizen).needs_another_method  # first use: one method is not enough
    with pytest.raises(errors.IdentityRequired):
        client.contact_send_code(session, "email", "x@example.tw")
    with pytest.raises(errors.IdentityRequired):
        client.usage_records(session)
