"""Data codes at the clerk: single use, expiry, agency binding, brute force, e-mail notification."""

from __future__ import annotations

import time

import pytest
import requests

from broker_client import BrokerClient, errors
from broker_client.signing import RequestSigner, load_private_key
from counter_core.datacode import damm_check_digit, grouped, new_code
from counter_core.settings import Settings
from mydata_counter.testing.sandbox import advance_clock, citizens, issue_code


def test_redeemed_code_shows_the_citizens_fields_with_meanings_once(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, url = broker
    citizen = citizens(settings)[50]
    clerk = client.clerk_login("clerk-hualien", "hualien-demo")
    issued = issue_code(client, settings, citizen, contact="email")  # the notice goes to the e-mail proved
    assert clerk.agency.get("zh-TW") == "花蓮縣政府"
    redemption = client.redeem(clerk.token, grouped(issued.code))  # typed with spaces works too
    household = next(d for d in redemption.datasets if d.id == "household_personal")
    values = {f.key: f.value for f in household.fields}
    assert values["national_id"] == citizen.national_id and values["name"] == citizen.name
    assert all(f.meaning.get("zh-TW") for f in household.fields)
    assert set(redemption.identity_methods) == {"moica", "nhi_household"}
    with pytest.raises(errors.CodeAlreadyUsed):
        client.redeem(clerk.token, issued.code)
    client.purge_ack(clerk.token, redemption.transaction_id)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        mails = [
            m
            for m in requests.get(f"{url}/outbox.json", timeout=5).json()["messages"]
            if m["kind"] == "email" and m["recipient"] == citizen.email and "資料取用" in m["subject"]
        ]
        if mails:
            break
        time.sleep(0.1)
    assert mails and mails[0]["subject"] == "MyData 資料取用通知 / Your data was accessed"
    assert redemption.transaction_id in mails[0]["body"] and citizen.name in mails[0]["body"]
    assert "0800-009-868" in mails[0]["body"]


def test_code_for_another_agency_is_refused_and_stays_usable(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, _ = broker
    labour = client.clerk_login("clerk-bli", "bli-demo")
    hualien = client.clerk_login("clerk-hualien", "hualien-demo")
    issued = issue_code(client, settings, citizens(settings)[51])
    with pytest.raises(errors.CodeForeignAgency):
        client.redeem(labour.token, issued.code)
    assert client.redeem(hualien.token, issued.code).transaction_id


def test_code_works_until_its_expiry_then_is_refused(client: BrokerClient, broker: tuple[Settings, str]) -> None:
    settings, url = broker
    clerk = client.clerk_login("clerk-hualien", "hualien-demo")
    early, late = (issue_code(client, settings, citizens(settings)[i]) for i in (52, 53))
    advance_clock(url, settings.sandbox.code_ttl_s - 5)  # the sandbox's clock: no waiting
    assert client.redeem(clerk.token, early.code).transaction_id
    advance_clock(url, 6)
    with pytest.raises(errors.CodeExpired):
        client.redeem(clerk.token, late.code)


def test_password_guessing_is_rate_limited_per_account(client: BrokerClient) -> None:
    for _ in range(5):
        with pytest.raises(errors.ClerkLoginFailed):
            client.clerk_login("clerk-hakka", "guess")
    with pytest.raises(errors.RateLimited) as caught:
        client.clerk_login("clerk-hakka", "hakka-demo")  # even the right password waits now
    assert 250 <= caught.value.retry_after_s <= 301
    assert client.clerk_login("clerk-chiayi", "chiayi-demo").agency_id == "chiayi"  # other accounts unaffected


def test_wrong_password_and_bad_token_are_refused(client: BrokerClient) -> None:
    with pytest.raises(errors.ClerkLoginFailed):
        client.clerk_login("clerk-hualien", "wrong")
    with pytest.raises(errors.ClerkSessionExpired):
        client.redeem("not-a-real-token-at-all", new_code())


def test_malformed_and_unknown_codes_then_brute_force_is_rate_limited(broker: tuple[Settings, str]) -> None:
    settings, _ = broker
    client = BrokerClient(settings.broker)
    clerk = client.clerk_login("clerk-taoyuan", "taoyuan-demo")
    with pytest.raises(errors.CodeMalformed):
        client.redeem(clerk.token, "1234")
    with pytest.raises(errors.CodeUnknown):
        client.redeem(clerk.token, new_code())
    outcomes: list[errors.BrokerError] = []
    for _ in range(20):
        body = new_code()[:15]
        try:
            client.redeem(clerk.token, body + damm_check_digit(body))
        except errors.BrokerError as error:
            outcomes.append(error)
    assert isinstance(outcomes[0], errors.CodeUnknown)
    limited = [e for e in outcomes if isinstance(e, errors.RateLimited)]
    assert len(limited) >= 10  # after 10 wrong codes a minute, every further try is refused
    assert 0 < limited[0].retry_after_s <= 61
    assert "秒" in limited[0].message("zh-TW")
    # On the wire: 429 with Retry-After (RFC 9110) equal to the body's retry_after_s, as the spec says.
    assert settings.broker.key_file is not None
    response = requests.post(
        f"{settings.broker.url}/api/v1/clerk/redeem", json={"code": new_code()},
        headers={"Authorization": f"Bearer {clerk.token}"},
        auth=RequestSigner(settings.broker.terminal_id, load_private_key(settings.broker.key_file)), timeout=5,
    )  # fmt: skip
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) == response.json()["retry_after_s"] > 0
