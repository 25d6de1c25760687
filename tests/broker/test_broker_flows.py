"""Every identity method and the first-use rule, end to end over real HTTP against the sandbox."""

from __future__ import annotations

import pytest
import requests
from cryptography.hazmat.primitives.serialization import Encoding

from broker_client import BrokerClient, errors
from broker_client.code_keys import CodeVerifier
from broker_sandbox.ca import citizen_credentials, sign_challenge
from counter_core.datacode import is_valid_code
from counter_core.settings import Settings
from mydata_counter.testing.sandbox import advance_clock, approve_push, citizens, issue_code
from tests.broker.steps import consented, latest_otp, moica

SERVICE = "hualien-disabled-parking"
WELFARE_ONLY = "moe-tuition-waiver"  # releases only the low-income certificate: every method may


def _consented(client: BrokerClient, service: str = SERVICE) -> str:
    return consented(client, service)


def test_first_use_needs_two_different_methods_then_one(client: BrokerClient, broker: tuple[Settings, str]) -> None:
    settings, _ = broker
    citizen = citizens(settings)[10]
    session_id = _consented(client)
    challenge = client.moica_challenge(session_id)
    key, certificate = citizen_credentials(settings.sandbox.seed, citizen.national_id)
    status = client.moica_verify(session_id, certificate.public_bytes(Encoding.DER), sign_challenge(key, challenge))
    assert status.needs_another_method and status.reason_key == "broker.identity.first_use"
    with pytest.raises(errors.IdentityRequired):
        client.issue_code(session_id)
    with pytest.raises(errors.SameMethodTwice):
        again = client.moica_challenge(session_id)
        client.moica_verify(session_id, certificate.public_bytes(Encoding.DER), sign_challenge(key, again))
    sent = client.otp_send(session_id, citizen.national_id, citizen.phone)
    assert sent.sent_to.startswith(citizen.phone[:4]) and citizen.phone not in sent.sent_to
    otp = latest_otp(broker[1], citizen.phone)
    assert otp is not None
    status = client.otp_verify(session_id, otp)
    assert status.methods_passed == ["moica", "otp"] and not status.needs_another_method
    issued = client.issue_code(session_id)
    assert is_valid_code(issued.code)  # and the QR carries it signed by the broker, for the clerk to check offline
    assert CodeVerifier(client.code_keys).verify(issued.qr_payload).claims.code == issued.code
    # Later use: one method is enough.
    session_id = _consented(client, WELFARE_ONLY)
    status = client.nhi_household(session_id, citizen.nhi_card_number, citizen.household_number)
    assert status.methods_passed == ["nhi_household"] and not status.needs_another_method
    assert is_valid_code(client.issue_code(session_id).code)


def test_first_use_second_method_may_be_one_the_service_alone_would_refuse(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, _ = broker
    citizen = citizens(settings)[11]
    session_id = _consented(client)
    with pytest.raises(errors.IdentityNotAllowed):  # first: only a method good for every dataset
        client.nhi_household(session_id, citizen.nhi_card_number, citizen.household_number)
    assert moica(client, settings, session_id, citizen).needs_another_method
    status = client.nhi_household(session_id, citizen.nhi_card_number, citizen.household_number)
    assert status.methods_passed == ["moica", "nhi_household"] and not status.needs_another_method
    assert is_valid_code(client.issue_code(session_id).code)


def test_the_mobile_certificate_is_the_same_credential_as_the_card(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, url = broker
    citizen = citizens(settings)[12]
    session_id = _consented(client)
    assert moica(client, settings, session_id, citizen).needs_another_method
    with pytest.raises(errors.SameCredential) as caught:
        client.mobile_push(session_id, citizen.national_id)  # refused before the phone is bothered
    assert isinstance(caught.value, errors.SameMethodTwice) and "行動自然人憑證" in caught.value.message("zh-TW")
    assert requests.get(f"{url}/phone/{citizen.national_id}/pushes", timeout=5).json()["pushes"] == []


def test_second_method_must_be_the_same_person(client: BrokerClient, broker: tuple[Settings, str]) -> None:
    settings, _ = broker
    first, other = citizens(settings)[20], citizens(settings)[21]
    session_id = _consented(client)
    moica(client, settings, session_id, first)
    with pytest.raises(errors.IdentityMismatch):
        client.nhi_household(session_id, other.nhi_card_number, other.household_number)
    with pytest.raises(errors.IdentityRequired):
        client.issue_code(session_id)


def test_wrong_household_number_fails_and_says_how_many_tries_are_left(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    citizen = citizens(broker[0])[30]
    with pytest.raises(errors.IdentityFailed) as caught:
        client.nhi_household(_consented(client, WELFARE_ONLY), citizen.nhi_card_number, "X0000000")
    assert isinstance(caught.value, errors.IdentityDetailsWrong) and caught.value.params["tries_left"] == 4
    assert "4" in caught.value.message("zh-TW") and "4" in caught.value.message("en")


def test_signature_from_a_key_the_ca_did_not_certify_fails(client: BrokerClient, broker: tuple[Settings, str]) -> None:
    settings, _ = broker
    citizen = citizens(settings)[31]
    session_id = _consented(client)
    challenge = client.moica_challenge(session_id)
    _, certificate = citizen_credentials(settings.sandbox.seed, citizen.national_id)
    wrong_key, _ = citizen_credentials(settings.sandbox.seed, citizens(settings)[32].national_id)
    with pytest.raises(errors.IdentityFailed):
        client.moica_verify(session_id, certificate.public_bytes(Encoding.DER), sign_challenge(wrong_key, challenge))
    foreign_ca_key, foreign_cert = citizen_credentials(settings.sandbox.seed + 1, citizen.national_id)
    challenge = client.moica_challenge(session_id)
    with pytest.raises(errors.IdentityFailed):
        client.moica_verify(
            session_id, foreign_cert.public_bytes(Encoding.DER), sign_challenge(foreign_ca_key, challenge)
        )


def test_identity_before_consent_is_refused(client: BrokerClient, broker: tuple[Settings, str]) -> None:
    citizen = citizens(broker[0])[33]
    session = client.start_session(SERVICE)
    with pytest.raises(errors.ConsentRequired):
        client.nhi_household(session.session_id, citizen.nhi_card_number, citizen.household_number)


def test_mobile_push_needs_the_matching_number(client: BrokerClient, broker: tuple[Settings, str]) -> None:
    settings, url = broker
    citizen = citizens(settings)[40]
    issue_code(client, settings, citizen)  # not first use any more
    session_id = _consented(client)
    push = client.mobile_push(session_id, citizen.national_id)
    assert len(push.match_number) == 2 and push.match_number.isdigit()
    assert client.push_status(session_id, push.push_id).state == "pending"
    wrong = f"{(int(push.match_number) + 1) % 100:02d}"
    assert approve_push(url, citizen.national_id, push.push_id, wrong) == "wrong_number"  # a failed check
    assert client.push_status(session_id, push.push_id).state == "wrong_number"
    push = client.mobile_push(session_id, citizen.national_id)
    assert approve_push(url, citizen.national_id, push.push_id, push.match_number) == "approved"
    state = client.push_status(session_id, push.push_id)
    assert state.state == "approved" and state.identity is not None and state.identity.methods_passed == ["mobile"]
    assert is_valid_code(client.issue_code(session_id).code)


def test_push_denied_and_expired(client: BrokerClient, broker: tuple[Settings, str]) -> None:
    settings, url = broker
    citizen = citizens(settings)[41]
    session_id = _consented(client)
    push = client.mobile_push(session_id, citizen.national_id)
    assert approve_push(url, citizen.national_id, push.push_id, push.match_number, action="deny") == "denied"
    assert client.push_status(session_id, push.push_id).state == "denied"
    push = client.mobile_push(session_id, citizen.national_id)
    assert client.push_status(session_id, push.push_id).state == "pending"
    advance_clock(url, settings.sandbox.push_ttl_s + 1)
    assert client.push_status(session_id, push.push_id).state == "expired"
    assert approve_push(url, citizen.national_id, push.push_id, push.match_number) == "gone"


def test_push_for_an_invalid_national_id_is_refused(client: BrokerClient) -> None:
    with pytest.raises(errors.UnknownCitizen):
        client.mobile_push(_consented(client), "A123456788")


def test_a_citizens_phone_cannot_be_flooded_with_pushes_and_sms(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, _ = broker
    target, other = citizens(settings)[42], citizens(settings)[43]
    session_id = _consented(client)
    for _ in range(3):
        client.mobile_push(session_id, target.national_id)
    for _ in range(2):
        client.otp_send(session_id, target.national_id, target.phone)
    with pytest.raises(errors.RateLimited) as caught:
        client.mobile_push(session_id, target.national_id)  # pushes and SMS count together
    assert isinstance(caught.value, errors.PromptsLimited) and 500 <= caught.value.retry_after_s <= 601
    assert _minutes(caught.value.retry_after_s) in caught.value.message("zh-TW")
    with pytest.raises(errors.RateLimited):
        client.otp_send(session_id, target.national_id, target.phone)
    assert client.otp_send(session_id, other.national_id, other.phone).sent_to  # someone else is not affected


def test_wrong_otps_count_down_then_the_code_is_dead(client: BrokerClient, broker: tuple[Settings, str]) -> None:
    settings, url = broker
    citizen = citizens(settings)[44]
    issue_code(client, settings, citizen)  # verified with the certificate card once: SMS codes are open
    session_id = _consented(client)
    client.otp_send(session_id, citizen.national_id, citizen.phone)
    otp = latest_otp(url, citizen.phone)
    assert otp is not None
    wrong = f"{(int(otp) + 1) % 10**6:06d}"
    for tries_left in (2, 1):
        with pytest.raises(errors.OtpWrong) as caught:
            client.otp_verify(session_id, wrong)
        assert caught.value.params["tries_left"] == tries_left
        assert str(tries_left) in caught.value.message("zh-TW")
    with pytest.raises(errors.OtpWrong):
        client.otp_verify(session_id, wrong)
    with pytest.raises(errors.IdentityFailed):
        client.otp_verify(session_id, otp)  # three wrong tries: even the right code is refused now


def _minutes(seconds: int) -> str:
    """A wait as the citizen reads it: whole minutes, rounded up (counter_core.i18n)."""
    return f"{max(1, -(-seconds // 60))} "
