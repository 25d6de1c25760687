"""The identity methods the seeds describe, each end to end over real HTTP: NHI card + network password,
multi-factor without a card, the chip bank card checked by the verification centre, and SMS codes open only
after a citizen-certificate check — success, wrong input, locks, and what the citizen is told."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from cryptography.hazmat.primitives.serialization import Encoding

from broker_client import BrokerClient, errors
from broker_sandbox.ca import citizen_credentials, sign_challenge
from broker_sandbox.cards import SandboxCards
from broker_sandbox.citizens import Citizen, masked_phone
from counter_core.datacode import is_valid_code
from counter_core.national_id import masked
from counter_core.settings import Settings
from mydata_counter.testing.sandbox import advance_clock, citizens, issue_code
from tests.broker.steps import consented, latest_otp, moica, registered, sms_count

WELFARE_ONLY = "moe-tuition-waiver"  # releases only the low-income certificate: every method may
HOUSEHOLD = "hualien-disabled-parking"  # releases household registration: certificate or SMS code only
DAY_S = 24 * 3600


@pytest.fixture(autouse=True)
def _limits_forgotten_after_each_test(broker: tuple[Settings, str]) -> Iterator[None]:
    yield
    advance_clock(broker[1], DAY_S + 3600)  # every window, lock and password lock of the test is over


def _returning(client: BrokerClient, settings: Settings, citizen: Citizen) -> Citizen:
    issue_code(client, settings, citizen)  # used MyData before (with the certificate card): one method will do
    return citizen


# -- NHI card + network-service password ---------------------------------------------------------------
def test_nhi_card_with_its_registered_password_verifies_the_citizen(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, _ = broker
    citizen = _returning(client, settings, registered(settings, 120)[0])
    assert citizen.nhi_password is not None
    session_id = consented(client, WELFARE_ONLY)
    status = client.nhi_card(session_id, citizen.nhi_card_number, citizen.nhi_password)
    assert status.methods_passed == ["nhi_card"] and status.citizen_masked_id == masked(citizen.national_id)
    assert is_valid_code(client.issue_code(session_id).code)


def test_wrong_nhi_passwords_count_down_then_lock_like_a_pin(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, url = broker
    citizen = _returning(client, settings, registered(settings, 125)[0])
    assert citizen.nhi_password is not None
    session_id = consented(client, WELFARE_ONLY)
    for tries_left in (2, 1):
        with pytest.raises(errors.NhiPasswordWrong) as wrong:
            client.nhi_card(session_id, citizen.nhi_card_number, citizen.nhi_password + "x")
        assert wrong.value.params["tries_left"] == tries_left and str(tries_left) in wrong.value.message("zh-TW")
    with pytest.raises(errors.NhiPasswordLocked) as locked:
        client.nhi_card(session_id, citizen.nhi_card_number, "wrong-again")
    assert isinstance(locked.value, errors.IdentityLocked) and locked.value.retry_after_s > DAY_S - 60
    assert "健保署" in locked.value.message("zh-TW") and "another method" in locked.value.message("en")
    with pytest.raises(errors.NhiPasswordLocked):
        client.nhi_card(session_id, citizen.nhi_card_number, citizen.nhi_password)  # even the right one now
    assert moica(client, settings, session_id, citizen).methods_passed == ["moica"]  # other methods still work
    advance_clock(url, DAY_S + 1)
    session_id = consented(client, WELFARE_ONLY)
    assert client.nhi_card(session_id, citizen.nhi_card_number, citizen.nhi_password).methods_passed == ["nhi_card"]


def test_an_nhi_card_never_registered_for_the_network_service_is_told_to_register(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, _ = broker
    citizen = next(c for c in citizens(settings) if c.nhi_password is None)
    with pytest.raises(errors.NhiCardNotRegistered) as caught:
        client.nhi_card(consented(client, WELFARE_ONLY), citizen.nhi_card_number, "anything")
    assert "健保卡網路服務註冊" in caught.value.message("zh-TW") and "register" in caught.value.message("en")


def test_a_method_the_service_may_not_use_is_refused_before_anything_is_checked(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, _ = broker
    citizen = _returning(client, settings, registered(settings, 130)[0])
    assert citizen.nhi_password is not None
    with pytest.raises(errors.IdentityNotAllowed) as caught:
        client.nhi_card(consented(client, HOUSEHOLD), citizen.nhi_card_number, "wrong")
    assert caught.value.params["dataset_id"] == "household_personal"
    assert "個人戶籍資料" in caught.value.message("zh-TW") and "自然人憑證" in caught.value.message("zh-TW")
    with pytest.raises(errors.NhiPasswordWrong) as wrong:  # the refused try did not count against the password
        client.nhi_card(consented(client, WELFARE_ONLY), citizen.nhi_card_number, "wrong")
    assert wrong.value.params["tries_left"] == 2


# -- multi-factor without a card -------------------------------------------------------------------------
def test_multi_factor_takes_the_household_number_or_the_id_cards_issue_date(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, _ = broker
    citizen = _returning(client, settings, citizens(settings)[135])
    session_id = consented(client, WELFARE_ONLY)
    status = client.multi_factor(
        session_id, citizen.national_id, citizen.birth_date, citizen.nhi_card_number,
        household_number=citizen.household_number.lower(),
    )  # fmt: skip
    assert status.methods_passed == ["multi_factor"]
    assert is_valid_code(client.issue_code(session_id).code)
    session_id = consented(client, WELFARE_ONLY)
    client.multi_factor(
        session_id, citizen.national_id.lower(), citizen.birth_date, citizen.nhi_card_number,
        id_card_issue_date=citizen.id_card_issue_date,
    )  # fmt: skip
    assert is_valid_code(client.issue_code(session_id).code)


def test_wrong_details_count_down_the_same_for_unknown_ids_then_lock_the_method(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, url = broker
    citizen, stranger = _returning(client, settings, citizens(settings)[140]), citizens(settings)[141]
    session_id = consented(client, WELFARE_ONLY)
    household, day = citizen.household_number, timedelta(days=1)
    wrong_tries = [  # (birthday, NHI card number, household number, ID card issue date): one detail wrong each
        (citizen.birth_date + day, citizen.nhi_card_number, household, None),
        (citizen.birth_date, stranger.nhi_card_number, household, None),
        (citizen.birth_date, citizen.nhi_card_number, stranger.household_number, None),
        (citizen.birth_date, citizen.nhi_card_number, None, citizen.id_card_issue_date + day),
    ]
    for tries_left, (birth, card, number, issued) in zip((4, 3, 2, 1), wrong_tries, strict=True):
        with pytest.raises(errors.IdentityDetailsWrong) as caught:
            client.multi_factor(
                session_id, citizen.national_id, birth, card, household_number=number, id_card_issue_date=issued
            )
        assert caught.value.params["tries_left"] == tries_left
    with pytest.raises(errors.IdentityLocked) as locked:
        client.multi_factor(session_id, citizen.national_id, citizen.birth_date, "0" * 12, household_number=household)
    assert 3000 < locked.value.retry_after_s <= 3601
    assert _minutes(locked.value.retry_after_s) in locked.value.message("en")
    assert _minutes(locked.value.retry_after_s) in locked.value.message("en")
    right = (citizen.national_id, citizen.birth_date, citizen.nhi_card_number)
    with pytest.raises(errors.IdentityLocked):  # the right details too, for now
        client.multi_factor(session_id, *right, household_number=household)
    with pytest.raises(errors.IdentityDetailsWrong) as unknown:  # an ID nobody holds is answered alike
        client.multi_factor(session_id, "A123456789", *right[1:], household_number=household)
    assert unknown.value.params["tries_left"] == 4
    advance_clock(url, 3601)
    session_id = consented(client, WELFARE_ONLY)  # the old session timed out meanwhile
    status = client.multi_factor(session_id, *right, household_number=household)
    assert status.methods_passed == ["multi_factor"]


@pytest.mark.parametrize(
    "details",
    [
        {"household_number": "A1234567", "id_card_issue_date": "2010-01-01"},  # both
        {},  # neither
        {"id_card_issue_date": 1262304000},  # a number is not a date
        {"id_card_issue_date": "01/01/2010"},
    ],
)
def test_multi_factor_needs_exactly_one_of_household_number_and_issue_date(
    client: BrokerClient, broker: tuple[Settings, str], details: dict[str, object]
) -> None:
    settings, _ = broker
    citizen = citizens(settings)[145]
    session_id = consented(client, WELFARE_ONLY)
    body = {"national_id": citizen.national_id, "birth_date": "1980-01-01", "nhi_card_number": "0" * 12, **details}
    with pytest.raises(errors.ValidationFailed):
        client._request("POST", f"/kiosk/sessions/{session_id}/multi_factor", body)


# -- chip bank card, the sandbox as the third-party verification centre ------------------------------------
def test_a_chip_bank_card_signing_the_challenge_verifies_its_holder(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, _ = broker
    citizen = _returning(client, settings, citizens(settings)[150])
    card = SandboxCards(settings.sandbox.seed, settings.sandbox.citizens).bank_card_credentials(citizen.national_id)
    assert card is not None
    session_id = consented(client, WELFARE_ONLY)
    challenge = client.bank_card_challenge(session_id)
    status = client.bank_card_verify(session_id, citizen.national_id, card.certificate_der, card.sign(challenge))
    assert status.methods_passed == ["bank_card"]
    assert is_valid_code(client.issue_code(session_id).code)


def test_a_bank_card_of_someone_else_a_citizen_certificate_or_a_used_challenge_is_refused(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, _ = broker
    citizen, other = _returning(client, settings, citizens(settings)[152]), citizens(settings)[153]
    cards = SandboxCards(settings.sandbox.seed, settings.sandbox.citizens)
    theirs, mine = cards.bank_card_credentials(other.national_id), cards.bank_card_credentials(citizen.national_id)
    assert theirs is not None and mine is not None
    session_id = consented(client, WELFARE_ONLY)
    challenge = client.bank_card_challenge(session_id)
    with pytest.raises(errors.IdentityDetailsWrong):  # a genuine card, but not this citizen's account
        client.bank_card_verify(session_id, citizen.national_id, theirs.certificate_der, theirs.sign(challenge))
    with pytest.raises(errors.ChallengeRequired):  # one signature per challenge
        client.bank_card_verify(session_id, citizen.national_id, mine.certificate_der, mine.sign(challenge))
    challenge = client.bank_card_challenge(session_id)
    key, certificate = citizen_credentials(settings.sandbox.seed, citizen.national_id)
    with pytest.raises(errors.IdentityFailed) as caught:  # not a card the bank-card issuer made
        client.bank_card_verify(
            session_id, citizen.national_id, certificate.public_bytes(Encoding.DER), sign_challenge(key, challenge)
        )
    assert type(caught.value) is errors.IdentityFailed
    client.moica_challenge(session_id)
    with pytest.raises(errors.ChallengeRequired):  # a challenge for the certificate card is not the bank card's
        client.bank_card_verify(session_id, citizen.national_id, mine.certificate_der, mine.sign(b"x"))
    with pytest.raises(errors.IdentityNotAllowed):
        client.bank_card_challenge(consented(client, HOUSEHOLD))


# -- SMS one-time password -------------------------------------------------------------------------------
def test_sms_codes_are_open_only_after_a_citizen_certificate_check(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, url = broker
    citizen = citizens(settings)[160]  # never verified with the certificate
    session_id = consented(client, HOUSEHOLD)
    sent = client.otp_send(session_id, citizen.national_id, citizen.phone)
    assert sent.sent_to == masked_phone(citizen.phone)  # the same answer as for anyone …
    assert sms_count(url, citizen.phone) == 0  # … but no code was sent
    with pytest.raises(errors.OtpWrong):
        client.otp_verify(session_id, "123456")
    with pytest.raises(errors.OtpNotEnrolled) as caught:  # the deprecated form (no typed number) says why
        client.otp_send(session_id, citizen.national_id)
    assert "自然人憑證" in caught.value.message("zh-TW")
    assert moica(client, settings, session_id, citizen).needs_another_method  # first use: the card …
    client.otp_send(session_id, citizen.national_id, citizen.phone)  # … then the phone, as the guide shows
    otp = latest_otp(url, citizen.phone)
    assert otp is not None
    assert client.otp_verify(session_id, otp).methods_passed == ["moica", "otp"]
    assert is_valid_code(client.issue_code(session_id).code)
    later = consented(client, HOUSEHOLD)  # and from now on the SMS code alone will do
    assert client.otp_send(later, citizen.national_id).sent_to == masked_phone(citizen.phone)  # deprecated form


def test_sms_code_goes_only_to_the_number_on_file_and_the_answer_does_not_tell(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, url = broker
    citizen = _returning(client, settings, citizens(settings)[162])
    typed = "0911-222-333" if citizen.phone != "0911222333" else "0911-222-334"
    session_id = consented(client, HOUSEHOLD)
    sent = client.otp_send(session_id, citizen.national_id, typed)
    assert sent.sent_to == masked_phone(typed.replace("-", "")) and sms_count(url, citizen.phone) == 0
    assert sms_count(url, typed.replace("-", "")) == 0
    sent = client.otp_send(session_id, citizen.national_id, "+886 " + citizen.phone[1:])
    assert sent.sent_to == masked_phone(citizen.phone) and sms_count(url, citizen.phone) == 1
    with pytest.raises(errors.ValidationFailed):
        client.otp_send(session_id, citizen.national_id, "12345")


# -- bad input: unknown method ---------------------------------------------------------------------------
def test_an_unknown_method_is_a_clear_error_and_issues_nothing(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    session_id = consented(client, HOUSEHOLD)
    with pytest.raises(errors.ValidationFailed) as caught:
        client._request("POST", f"/kiosk/sessions/{session_id}/fingerprint", {"national_id": "A123456789"})
    assert caught.value.message("zh-TW") and caught.value.message("en")
    assert caught.value.broker_text is not None and caught.value.broker_text["en"]
    with pytest.raises(errors.IdentityRequired):
        client.issue_code(session_id)
    assert requests.get(f"{broker[1]}/healthz", timeout=5).ok


def _minutes(seconds: int) -> str:
    """A wait as the citizen reads it: whole minutes, rounded up (counter_core.i18n)."""
    return f"{max(1, -(-seconds // 60))} "
