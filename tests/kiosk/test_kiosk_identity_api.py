"""The kiosk's identity methods in-process (Flask test client, simulated reader, the sandbox broker over real
HTTP): MOICA card + PIN, NHI card with household number or network password, multi-factor, SMS OTP, the phone push
with number matching, and a first method's ID carried to the second."""

from __future__ import annotations

import re

import requests

from broker_client import BrokerClient
from mydata_counter.testing import wait_for
from mydata_counter.testing.sandbox import citizens, issue_code
from tests.kiosk.api_rig import Broker, Kiosk, at_identity, broker, insert_card, kiosk, metric, moica

__all__ = ["broker", "kiosk"]
WELFARE_ONLY = "moe-tuition-waiver"  # releases only the low-income certificate, which NHI card + household number may


def test_wrong_pin_counts_down_then_locks_and_each_is_counted(kiosk: Kiosk, broker: Broker) -> None:
    at_identity(kiosk)
    kiosk.post("/method", {"method": "moica"})
    insert_card(kiosk, "moica", broker.citizen(3))
    before = metric(kiosk, "mydata_identity_results_total", method="moica", result="pin_wrong")
    first = kiosk.post("/identity/moica", {"pin": "000000"})
    assert first["status"] == 400 and first["error"] == "card.pin_wrong" and first["params"]["tries_left"] == 2
    last = kiosk.post("/identity/moica", {"pin": "111111"})
    assert last["error"] == "card.pin_last_try" and last["params"]["tries_left"] == 1  # said before the last try
    assert "鎖卡" in last["message"]["zh-TW"] and "locks the card" in last["message"]["en"]
    locked = kiosk.post("/identity/moica", {"pin": "222222"})
    assert locked["error"] == "card.pin_locked"
    assert kiosk.post("/identity/moica", {"pin": "123456"})["error"] == "card.pin_locked"
    assert metric(kiosk, "mydata_identity_results_total", method="moica", result="pin_wrong") == before + 2


def test_moica_without_a_card_is_a_card_error_counted_by_kind(kiosk: Kiosk) -> None:
    at_identity(kiosk)
    kiosk.post("/method", {"method": "moica"})
    before = metric(kiosk, "mydata_card_errors_total", error="card.no_card")
    response = kiosk.post("/identity/moica", {"pin": "123456"})
    assert response["status"] == 400 and response["error"] == "card.no_card"
    assert metric(kiosk, "mydata_card_errors_total", error="card.no_card") == before + 1


def test_first_use_needs_moica_then_the_nhi_card_and_prints_one_code(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(4)
    at_identity(kiosk)
    first = moica(kiosk, citizen)
    assert first["methods"] == ["moica"] and first["needs_another_method"] and not first["verified"]
    assert first["reason_key"] == "broker.identity.first_use" and first["masked_id"].startswith(citizen.national_id[:3])
    kiosk.client.delete("/demo/card")
    kiosk.post("/method", {"method": "nhi_household"})
    insert_card(kiosk, "nhi", citizen)
    second = kiosk.post("/identity/nhi", {"household_number": citizen.household_number})
    assert second["verified"] and second["methods"] == ["moica", "nhi_household"]
    printed = kiosk.post("/print")
    assert (
        printed["printed"]
        and re.fullmatch(r"\d{16}", printed["code"])
        and re.fullmatch(r"\d\d:\d\d", printed["expires"])
    )
    assert kiosk.post("/print")["code"] == printed["code"]  # printing again reprints the same code
    assert wait_for(lambda: len(kiosk.printer.jobs) == 2) and all(job.complete for job in kiosk.printer.jobs)


def test_nhi_with_a_typed_card_number_and_a_wrong_household_number(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(5)
    at_identity(kiosk, WELFARE_ONLY)
    kiosk.post("/method", {"method": "nhi_household"})
    wrong = kiosk.post("/identity/nhi", {"nhi_card_number": citizen.nhi_card_number, "household_number": "X0000000"})
    assert wrong["status"] == 400 and wrong["error"] == "broker.identity.wrong" and wrong["params"]["tries_left"] == 4
    right = kiosk.post(
        "/identity/nhi", {"nhi_card_number": citizen.nhi_card_number, "household_number": citizen.household_number}
    )
    assert right["status"] == 200 and right["methods"] == ["nhi_household"]


def test_sms_otp_goes_to_the_citizens_phone_and_passes(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(6)
    issue_code(BrokerClient(broker.settings.broker), broker.settings, citizen)  # SMS opens after the certificate
    at_identity(kiosk)
    kiosk.post("/method", {"method": "otp"})
    invalid = kiosk.post("/identity/otp/send", {"national_id": "A123456788", "phone": citizen.phone})
    assert invalid["status"] == 400 and invalid["error"] == "kiosk.national_id.invalid"
    no_phone = kiosk.post("/identity/otp/send", {"national_id": citizen.national_id, "phone": "12345"})
    assert no_phone["status"] == 400 and no_phone["error"] == "kiosk.phone.invalid"
    sent = kiosk.post("/identity/otp/send", {"national_id": citizen.national_id.lower(), "phone": citizen.phone})
    assert sent["sent_to"].endswith(citizen.phone[-3:]) and citizen.phone not in sent["sent_to"]
    sms = next(m for m in broker.sandbox()["outbox"].messages() if m["recipient"] == citizen.phone)
    otp = re.search(r"(\d{6})", sms["body"])
    assert otp is not None
    wrong = kiosk.post("/identity/otp/verify", {"otp": "000000" if otp.group(1) != "000000" else "111111"})
    assert wrong["error"] == "broker.otp.wrong" and wrong["params"]["tries_left"] == 2
    assert kiosk.post("/identity/otp/verify", {"otp": otp.group(1)})["methods"] == ["otp"]


def test_mobile_push_answered_on_the_phone_reaches_the_page_as_an_event(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(7)
    at_identity(kiosk)
    kiosk.post("/method", {"method": "mobile"})
    started = kiosk.post("/identity/mobile", {"national_id": citizen.national_id})
    assert re.fullmatch(r"\d\d", started["match_number"]) and 0 < started["seconds"] <= 120
    pushes = requests.get(f"{broker.url}/phone/{citizen.national_id}/pushes", timeout=5).json()["pushes"]
    assert started["match_number"] in pushes[0]["choices"]
    answer = {"action": "approve", "choice": started["match_number"]}
    requests.post(f"{broker.url}/phone/{citizen.national_id}/pushes/{pushes[0]['push_id']}", json=answer, timeout=5)
    pushed = kiosk.wait_event("push")
    assert pushed["state"] == "approved" and pushed["session"]["methods"] == ["mobile"]
    assert kiosk.get("/state")["methods"] == ["mobile"]


def test_a_push_can_be_cancelled_and_an_invalid_id_never_reaches_the_broker(kiosk: Kiosk, broker: Broker) -> None:
    at_identity(kiosk)
    invalid = kiosk.post("/identity/mobile", {"national_id": "Z999"})
    assert invalid["status"] == 400 and invalid["error"] == "kiosk.national_id.invalid"
    kiosk.post("/identity/mobile", {"national_id": broker.citizen(8).national_id})
    assert kiosk.client.delete("/api/identity/mobile").status_code == 200
    service = kiosk.app.extensions["kiosk.service"]
    assert all(s.push is None for s in service.store._sessions.values())


def test_a_second_method_uses_the_id_the_first_proved_without_asking_again(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(14)  # first use: a second method on another credential
    at_identity(kiosk)
    assert moica(kiosk, citizen)["needs_another_method"]
    kiosk.client.delete("/demo/card")
    kiosk.post("/method", {"method": "otp"})
    sent = kiosk.post("/identity/otp/send", {"national_id": "", "phone": citizen.phone})  # no ID typed again
    assert sent["status"] == 200 and sent["sent_to"].endswith(citizen.phone[-3:])
    sms = next(m for m in broker.sandbox()["outbox"].messages() if m["recipient"] == citizen.phone)
    otp = re.search(r"(\d{6})", sms["body"])
    assert otp is not None
    done = kiosk.post("/identity/otp/verify", {"otp": otp.group(1)})
    assert done["verified"] and done["methods"] == ["moica", "otp"]


def test_an_id_is_still_needed_for_a_first_method(kiosk: Kiosk) -> None:
    at_identity(kiosk)
    kiosk.post("/method", {"method": "mobile"})
    refused = kiosk.post("/identity/mobile", {"national_id": ""})
    assert refused["status"] == 400 and refused["error"] == "kiosk.national_id.invalid"


def test_approving_the_wrong_number_is_a_failed_check_said_as_such(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(15)
    at_identity(kiosk)
    kiosk.post("/method", {"method": "mobile"})
    started = kiosk.post("/identity/mobile", {"national_id": citizen.national_id})
    pushes = requests.get(f"{broker.url}/phone/{citizen.national_id}/pushes", timeout=5).json()["pushes"]
    wrong = next(choice for choice in pushes[0]["choices"] if choice != started["match_number"])
    answer = {"action": "approve", "choice": wrong}
    requests.post(f"{broker.url}/phone/{citizen.national_id}/pushes/{pushes[0]['push_id']}", json=answer, timeout=5)
    pushed = kiosk.wait_event("push")
    assert pushed["state"] == "wrong_number" and "數字" in pushed["message"]["zh-TW"]
    assert "declined" not in pushed["message"]["en"] and pushed["session"]["methods"] == []


def test_a_wiped_session_takes_its_pending_push_off_the_phone(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(16)
    at_identity(kiosk)
    kiosk.post("/method", {"method": "mobile"})
    kiosk.post("/identity/mobile", {"national_id": citizen.national_id})
    phone = f"{broker.url}/phone/{citizen.national_id}/pushes"
    assert len(requests.get(phone, timeout=5).json()["pushes"]) == 1
    kiosk.post("/cancel")
    assert requests.get(phone, timeout=5).json()["pushes"] == []


def test_nhi_card_with_its_network_password(kiosk: Kiosk, broker: Broker) -> None:
    citizen = next(c for c in citizens(broker.settings)[17:] if c.nhi_password)
    assert citizen.nhi_password is not None
    at_identity(kiosk, "moe-tuition-waiver")  # low-income status: the NHI card may release it
    kiosk.post("/method", {"method": "nhi_card"})
    insert_card(kiosk, "nhi", citizen)
    wrong = kiosk.post("/identity/nhi_card", {"password": "not-" + citizen.nhi_password})
    assert wrong["status"] == 400 and wrong["error"] == "broker.nhi_card.password_wrong"
    passed = kiosk.post("/identity/nhi_card", {"password": citizen.nhi_password})
    assert passed["methods"] == ["nhi_card"]


def test_multi_factor_without_a_card_by_household_number_or_issue_date(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(18)
    at_identity(kiosk, "moe-tuition-waiver")
    kiosk.post("/method", {"method": "multi_factor"})
    answers = {"national_id": citizen.national_id, "birth_date": citizen.birth_date.strftime("%Y%m%d"),
               "nhi_card_number": citizen.nhi_card_number}  # fmt: skip
    both = kiosk.post("/identity/multi_factor", {**answers, "household_number": "X", "id_card_issue_date": "1130101"})
    assert both["error"] == "kiosk.multi.one_of"
    bad_date = kiosk.post("/identity/multi_factor", {**answers, "birth_date": "19991340", "household_number": "X"})
    assert bad_date["error"] == "kiosk.multi.birth_date"
    roc = citizen.birth_date.year - 1911
    by_roc = {
        **answers,
        "birth_date": f"{roc:03d}{citizen.birth_date:%m%d}",
        "household_number": citizen.household_number,
    }
    assert kiosk.post("/identity/multi_factor", by_roc)["methods"] == ["multi_factor"]


def test_an_unplugged_reader_pauses_the_card_methods_with_a_reason_and_the_others_still_work(
    kiosk: Kiosk, broker: Broker
) -> None:
    assert kiosk.post("/start", {"language": "en"})["reader_problem"] == ""
    kiosk.reader.unplug()
    event = kiosk.wait_event("card")  # device-wide: every page learns the reader went away, and why
    assert event == {"kind": "reader_removed", "card_type": None, "reader_problem": "card.no_reader"}
    assert kiosk.post("/start", {"language": "en"})["reader_problem"] == "card.no_reader"  # and a page started now
    at_identity(kiosk)
    for card_method in ("moica", "nhi_card", "nhi_household", "bank_card"):
        refused = kiosk.post("/method", {"method": card_method})
        assert refused["status"] >= 400 and refused["error"] == "kiosk.identity.reader_down_pick", refused
        assert "needs no card" in refused["message"]["en"] and "請櫃台協助" in refused["message"]["zh-TW"]
    assert kiosk.post("/method", {"method": "otp"})["status"] == 200  # the ways without a card stay open
    kiosk.reader.plug_in()
    assert wait_for(lambda: any(e.get("reader_problem") == "" for e in kiosk.events("card")), 2)
    assert kiosk.post("/method", {"method": "moica"})["status"] == 200
    assert moica(kiosk, broker.citizen(31))["methods"] == ["moica"]  # and a card is read again
