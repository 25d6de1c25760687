"""Every identity method and the first-use rule, end to end over real HTTP against the sandbox."""

from __future__ import annotations

import time

import pytest
import requests
from cryptography.hazmat.primitives.serialization import Encoding

from broker_client import BrokerClient, errors
from broker_sandbox.ca import citizen_credentials, sign_challenge
from counter_core.datacode import is_valid_code, qr_payload
from counter_core.settings import Settings
from mydata_counter.testing.sandbox import approve_push, citizens, issue_code

SERVICE = "hualien-disabled-parking"


def _consented(client: BrokerClient, service: str = SERVICE) -> str:
    session = client.start_session(service)
    client.record_consent(session.session_id, session.terms_version, session.dataset_ids)
    return session.session_id


def test_catalogue_lists_the_seeds_agencies_with_field_meanings(client: BrokerClient) -> None:
    catalogue = client.catalogue()
    names = {agency.name.get("zh-TW") for agency in catalogue.agencies}
    assert {"花蓮縣政府", "勞動部勞工保險局", "台灣電力公司", "內政部營建署"} <= names
    parking = catalogue.service(SERVICE)
    assert parking is not None and parking.name.get("zh-TW") == "身心障礙者專用停車位識別證"
    school = catalogue.dataset("school_enrolment")
    assert school is not None
    assert [f.name.get("zh-TW") for f in school.fields][:4] == ["查詢結果", "身分證字號", "姓名", "出生年月日"]
    assert all(f.meaning.get("en") and f.meaning.get("zh-TW") for d in catalogue.datasets for f in d.fields)


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
    sent = client.otp_send(session_id, citizen.national_id)
    assert sent.sent_to.startswith(citizen.phone[:4]) and citizen.phone not in sent.sent_to
    otp = _latest_otp(broker[1])
    status = client.otp_verify(session_id, otp)
    assert status.methods_passed == ["moica", "otp"] and not status.needs_another_method
    issued = client.issue_code(session_id)
    assert is_valid_code(issued.code) and issued.qr_payload == qr_payload(issued.code)
    # Later use: one method is enough.
    session_id = _consented(client)
    status = client.nhi_household(session_id, citizen.nhi_card_number, citizen.household_number)
    assert status.methods_passed == ["nhi_household"] and not status.needs_another_method


def _latest_otp(url: str) -> str:
    messages = requests.get(f"{url}/outbox.json", timeout=5).json()["messages"]
    body = next(m["body"] for m in messages if m["kind"] == "sms")  # newest first
    return next(str(word) for word in str(body).replace("，", " ").split() if word.isdigit() and len(word) == 6)


def test_second_method_must_be_the_same_person(client: BrokerClient, broker: tuple[Settings, str]) -> None:
    settings, _ = broker
    first, other = citizens(settings)[20], citizens(settings)[21]
    session_id = _consented(client)
    client.nhi_household(session_id, first.nhi_card_number, first.household_number)
    with pytest.raises(errors.IdentityMismatch):
        challenge = client.moica_challenge(session_id)
        key, certificate = citizen_credentials(settings.sandbox.seed, other.national_id)
        client.moica_verify(session_id, certificate.public_bytes(Encoding.DER), sign_challenge(key, challenge))


def test_wrong_household_number_fails(client: BrokerClient, broker: tuple[Settings, str]) -> None:
    citizen = citizens(broker[0])[30]
    with pytest.raises(errors.IdentityFailed):
        client.nhi_household(_consented(client), citizen.nhi_card_number, "X0000000")


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
    assert approve_push(url, citizen.national_id, push.push_id, wrong) == "denied"
    assert client.push_status(session_id, push.push_id).state == "denied"
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
    time.sleep(settings.sandbox.push_ttl_s + 0.5)
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
        client.otp_send(session_id, target.national_id)
    with pytest.raises(errors.RateLimited) as caught:
        client.mobile_push(session_id, target.national_id)  # pushes and SMS count together
    assert 500 <= caught.value.retry_after_s <= 601
    with pytest.raises(errors.RateLimited):
        client.otp_send(session_id, target.national_id)
    assert client.otp_send(session_id, other.national_id).sent_to  # someone else is not affected


def test_wrong_otps_count_down_then_the_code_is_dead(client: BrokerClient, broker: tuple[Settings, str]) -> None:
    citizen = citizens(broker[0])[44]
    session_id = _consented(client)
    client.otp_send(session_id, citizen.national_id)
    otp = _latest_otp(broker[1])
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
