"""Attempt limits at a kiosk, over real HTTP: failed identity checks are counted per terminal (every method
together) and per citizen, so neither one person's details nor many people's can be guessed at a public
machine; SMS and pushes are limited per terminal too. Each refusal says how long to wait."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from broker_client import BrokerClient, errors
from broker_client.signing import RequestSigner, create_private_key, load_private_key, public_key_pem
from broker_sandbox.attempts import CITIZEN_FAILURES, PROMPTS_PER_TERMINAL, TERMINAL_FAILURES, TERMINAL_WINDOW_S
from broker_sandbox.citizens import Citizen
from broker_sandbox.store import Store
from broker_sandbox.terminals import Terminals
from counter_core.datacode import is_valid_code
from counter_core.settings import Settings
from mydata_counter.testing.sandbox import advance_clock, citizens, issue_code
from tests.broker.steps import consented, moica

WELFARE_ONLY = "moe-tuition-waiver"
HOUSEHOLD = "hualien-disabled-parking"


@pytest.fixture(autouse=True)
def _limits_forgotten_after_each_test(broker: tuple[Settings, str]) -> Iterator[None]:
    yield
    advance_clock(broker[1], 2 * 24 * 3600)


def _other_terminal(settings: Settings, folder: Path) -> BrokerClient:
    key_file = folder / "kiosk-2.pem"
    Terminals(Store(settings.sandbox.database)).register("kiosk-demo-02", public_key_pem(create_private_key(key_file)))
    return BrokerClient(settings.broker.model_copy(update={"terminal_id": "kiosk-demo-02", "key_file": key_file}))


def test_guessing_nhi_and_household_numbers_stops_after_a_few_tries_at_a_terminal(
    client: BrokerClient, broker: tuple[Settings, str], tmp_path: Path
) -> None:
    settings, url = broker
    citizen = citizens(settings)[180]
    issue_code(client, settings, citizen)
    session_id = consented(client, WELFARE_ONLY)
    guesses = random.Random(7)
    outcomes: list[type[errors.BrokerError]] = []
    for _ in range(200):  # as fast as a script can: the broker decides how many are checked
        try:
            client.nhi_household(session_id, f"{guesses.randrange(10**12):012d}", f"A{guesses.randrange(10**7):07d}")
        except errors.BrokerError as error:
            outcomes.append(type(error))
    assert outcomes[:TERMINAL_FAILURES] == [errors.IdentityDetailsWrong] * TERMINAL_FAILURES
    assert set(outcomes[TERMINAL_FAILURES:]) == {errors.IdentityRateLimited}
    with pytest.raises(errors.IdentityRateLimited) as caught:  # whoever is at the kiosk now waits
        client.nhi_household(session_id, citizen.nhi_card_number, citizen.household_number)
    assert 0 < caught.value.retry_after_s <= TERMINAL_WINDOW_S + 1
    assert _minutes(caught.value.retry_after_s) in caught.value.message("zh-TW")
    assert settings.broker.key_file is not None
    response = requests.post(
        f"{url}/api/v1/kiosk/sessions/{session_id}/multi_factor",
        json={"national_id": citizen.national_id, "birth_date": citizen.birth_date.isoformat(),
              "nhi_card_number": citizen.nhi_card_number, "household_number": citizen.household_number},
        auth=RequestSigner(settings.broker.terminal_id, load_private_key(settings.broker.key_file)), timeout=5,
    )  # fmt: skip
    assert response.status_code == 429 and response.json()["error"] == "broker.identity.rate_limited"
    assert int(response.headers["Retry-After"]) == response.json()["retry_after_s"]
    elsewhere = _other_terminal(settings, tmp_path)  # another kiosk is not affected
    other_session = consented(elsewhere, WELFARE_ONLY)
    elsewhere.nhi_household(other_session, citizen.nhi_card_number, citizen.household_number)
    assert is_valid_code(elsewhere.issue_code(other_session).code)
    advance_clock(url, TERMINAL_WINDOW_S + 1)
    session_id = consented(client, WELFARE_ONLY)
    assert client.nhi_household(session_id, citizen.nhi_card_number, citizen.household_number).methods_passed


def test_failures_of_every_method_count_together_at_a_terminal(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, _ = broker
    people = citizens(settings)[182:186]
    session_id = consented(client, WELFARE_ONLY)

    def wrong_sms_code(person: Citizen) -> None:
        client.otp_send(session_id, person.national_id, person.phone)
        client.otp_verify(session_id, "000000")

    def wrong_password(person: Citizen) -> None:
        client.nhi_card(session_id, person.nhi_card_number, "not-the-password")

    tries = [(attempt, person) for person in people for attempt in (wrong_sms_code, wrong_password, wrong_sms_code)]
    for attempt, person in tries[:TERMINAL_FAILURES]:  # a few wrong tries of each kind, for different people
        with pytest.raises((errors.OtpWrong, errors.IdentityFailed)):
            attempt(person)
    with pytest.raises(errors.IdentityRateLimited):
        moica(client, settings, session_id, people[0])  # the certificate card waits too: the kiosk is paused


def test_sms_and_pushes_from_one_terminal_are_limited(client: BrokerClient, broker: tuple[Settings, str]) -> None:
    settings, _ = broker
    session_id = consented(client, HOUSEHOLD)
    people = citizens(settings)[190 : 190 + PROMPTS_PER_TERMINAL + 1]
    for person in people[:PROMPTS_PER_TERMINAL]:  # one each: no citizen's own limit is reached
        client.otp_send(session_id, person.national_id, person.phone)
    with pytest.raises(errors.IdentityRateLimited) as caught:
        client.mobile_push(session_id, people[-1].national_id)
    assert caught.value.retry_after_s > 0


def test_a_locked_method_leaves_the_citizens_other_methods_open(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, _ = broker
    citizen = citizens(settings)[186]
    issue_code(client, settings, citizen)
    session_id = consented(client, WELFARE_ONLY)
    for _ in range(CITIZEN_FAILURES - 1):
        with pytest.raises(errors.IdentityDetailsWrong):
            client.nhi_household(session_id, citizen.nhi_card_number, "Z0000000")
    with pytest.raises(errors.IdentityLocked):
        client.nhi_household(session_id, citizen.nhi_card_number, "Z0000000")
    with pytest.raises(errors.IdentityLocked):  # the same facts typed without the card: the same lock
        client.multi_factor(
            session_id, citizen.national_id, citizen.birth_date, citizen.nhi_card_number,
            household_number=citizen.household_number,
        )  # fmt: skip
    assert moica(client, settings, session_id, citizen).methods_passed == ["moica"]
    assert is_valid_code(client.issue_code(session_id).code)


def _minutes(seconds: int) -> str:
    """A wait as the citizen reads it: whole minutes, rounded up (counter_core.i18n)."""
    return f"{max(1, -(-seconds // 60))} "
