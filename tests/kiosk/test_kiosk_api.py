"""Every kiosk API path in-process (``tests/kiosk/api_rig.py``): the Flask test client over ``KioskService``,
the real sandbox broker on loopback, the simulated reader and a real ESC/POS driver to the capture printer.
What only a browser shows stays in test_kiosk_flow.py."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families

from broker_client import BrokerClient
from broker_sandbox.citizens import Citizen
from counter_core.settings import Settings
from counter_web.base import close_app
from hardware.cards.pcsc import PcscReader
from hardware.cards.simulated import SimulatedReader
from hardware.printer.simulated import SimulatedPrinter
from kiosk import create_app
from kiosk.devices import KioskDevices
from mydata_counter.servicerunner import free_port
from mydata_counter.testing import wait_for
from mydata_counter.testing.sandbox import citizens, issue_code
from tests.kiosk.api_rig import FAST, Broker, Kiosk, broker, kiosk

__all__ = ["broker", "kiosk"]
SERVICE = "hualien-disabled-parking"
WELFARE_ONLY = "moe-tuition-waiver"  # releases only the low-income certificate: NHI card + household number may


def _at_identity(kiosk: Kiosk, service: str = SERVICE) -> None:
    assert kiosk.post("/start", {"language": "zh-TW"})["status"] == 200
    assert kiosk.post("/service", {"service_id": service})["status"] == 200
    assert kiosk.post("/consent", {"accepted": True, "shown": "scrolled"})["consented"]


def _insert(kiosk: Kiosk, card: str, citizen: Citizen, pin: str = "123456") -> None:
    kiosk.client.post("/demo/card", json={"type": card, "national_id": citizen.national_id, "pin": pin})
    assert wait_for(lambda: any(e["kind"] == "card_inserted" for e in kiosk.events("card")), 2)


def _moica(kiosk: Kiosk, citizen: Citizen, pin: str = "123456") -> Any:
    kiosk.post("/method", {"method": "moica"})
    _insert(kiosk, "moica", citizen, pin)
    return kiosk.post("/identity/moica", {"pin": "123456"})


def _metric(kiosk: Kiosk, name: str, **labels: str) -> float:
    text = kiosk.client.get("/metrics").get_data(as_text=True)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def test_a_call_without_a_session_is_409_session_expired(kiosk: Kiosk) -> None:
    for path in ("/service", "/consent", "/method", "/identity/moica", "/identity/nhi", "/print"):
        response = kiosk.post(path, {})
        assert response["status"] == 409, path
        assert response["error"] == "broker.session.expired"
        assert response["message"]["zh-TW"] and response["message"]["en"]
    assert kiosk.get("/state")["status"] == 409


def test_start_gives_a_fresh_session_and_the_catalogue_lists_the_service(kiosk: Kiosk) -> None:
    kiosk.post("/start", {"language": "en"})
    state = kiosk.get("/state")
    assert state["methods"] == [] and not state["verified"] and not state["consented"]
    catalogue = kiosk.get("/catalogue")
    assert SERVICE in {s["id"] for a in catalogue["agencies"] for s in a["services"]}


def test_consent_must_be_given_and_is_recorded_with_the_services_datasets(kiosk: Kiosk) -> None:
    kiosk.post("/start")
    chosen = kiosk.post("/service", {"service_id": SERVICE})
    assert chosen["dataset_ids"] and chosen["terms_version"]
    refused = kiosk.post("/consent", {"accepted": False})
    assert refused["status"] == 400 and refused["error"] == "broker.consent.required"
    assert kiosk.post("/consent", {"accepted": True, "shown": "scrolled"})["consented"]


def test_an_unknown_service_is_a_clear_error(kiosk: Kiosk) -> None:
    kiosk.post("/start")
    response = kiosk.post("/service", {"service_id": "no-such-service"})
    assert response["status"] == 400 and response["error"] == "broker.not_found"


def test_an_unknown_method_shows_the_method_list_again(kiosk: Kiosk) -> None:
    _at_identity(kiosk)
    kiosk.post("/method", {"method": "moica"})
    kiosk.post("/method", {"method": "telepathy"})
    session = kiosk.app.extensions["kiosk.service"].store
    assert all(s.active_method == "" for s in session._sessions.values())


def test_wrong_pin_counts_down_then_locks_and_each_is_counted(kiosk: Kiosk, broker: Broker) -> None:
    _at_identity(kiosk)
    kiosk.post("/method", {"method": "moica"})
    _insert(kiosk, "moica", broker.citizen(3))
    before = _metric(kiosk, "mydata_identity_results_total", method="moica", result="pin_wrong")
    first = kiosk.post("/identity/moica", {"pin": "000000"})
    assert first["status"] == 400 and first["error"] == "card.pin_wrong" and first["params"]["tries_left"] == 2
    last = kiosk.post("/identity/moica", {"pin": "111111"})
    assert last["error"] == "card.pin_last_try" and last["params"]["tries_left"] == 1  # said before the last try
    assert "鎖卡" in last["message"]["zh-TW"] and "locks the card" in last["message"]["en"]
    locked = kiosk.post("/identity/moica", {"pin": "222222"})
    assert locked["error"] == "card.pin_locked"
    assert kiosk.post("/identity/moica", {"pin": "123456"})["error"] == "card.pin_locked"
    assert _metric(kiosk, "mydata_identity_results_total", method="moica", result="pin_wrong") == before + 2


def test_moica_without_a_card_is_a_card_error_counted_by_kind(kiosk: Kiosk) -> None:
    _at_identity(kiosk)
    kiosk.post("/method", {"method": "moica"})
    before = _metric(kiosk, "mydata_card_errors_total", error="card.no_card")
    response = kiosk.post("/identity/moica", {"pin": "123456"})
    assert response["status"] == 400 and response["error"] == "card.no_card"
    assert _metric(kiosk, "mydata_card_errors_total", error="card.no_card") == before + 1


def test_first_use_needs_moica_then_the_nhi_card_and_prints_one_code(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(4)
    _at_identity(kiosk)
    first = _moica(kiosk, citizen)
    assert first["methods"] == ["moica"] and first["needs_another_method"] and not first["verified"]
    assert first["reason_key"] == "broker.identity.first_use" and first["masked_id"].startswith(citizen.national_id[:3])
    kiosk.client.delete("/demo/card")
    kiosk.post("/method", {"method": "nhi_household"})
    _insert(kiosk, "nhi", citizen)
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
    _at_identity(kiosk, WELFARE_ONLY)
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
    _at_identity(kiosk)
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
    _at_identity(kiosk)
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
    _at_identity(kiosk)
    invalid = kiosk.post("/identity/mobile", {"national_id": "Z999"})
    assert invalid["status"] == 400 and invalid["error"] == "kiosk.national_id.invalid"
    kiosk.post("/identity/mobile", {"national_id": broker.citizen(8).national_id})
    assert kiosk.client.delete("/api/identity/mobile").status_code == 200
    service = kiosk.app.extensions["kiosk.service"]
    assert all(s.push is None for s in service.store._sessions.values())


def test_paper_out_still_shows_the_code_and_retry_prints_it(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(9)
    _at_identity(kiosk)
    _moica(kiosk, citizen)
    kiosk.client.delete("/demo/card")
    kiosk.post("/method", {"method": "nhi_household"})
    kiosk.post(
        "/identity/nhi", {"nhi_card_number": citizen.nhi_card_number, "household_number": citizen.household_number}
    )
    kiosk.printer.state = "paper_out"
    failed = kiosk.post("/print")
    assert not failed["printed"] and failed["error"] == "printer.paper_out" and re.fullmatch(r"\d{16}", failed["code"])
    kiosk.printer.state = "ready"
    retried = kiosk.post("/print")
    assert retried["printed"] and retried["code"] == failed["code"]


def test_cancel_wipes_the_session(kiosk: Kiosk) -> None:
    _at_identity(kiosk)
    assert kiosk.post("/cancel") == {"ok": True, "status": 200}
    assert kiosk.get("/state")["status"] == 409
    assert len(kiosk.app.extensions["kiosk.service"].store) == 0


def test_the_card_pulled_at_its_own_step_wipes_that_session_and_says_so(kiosk: Kiosk, broker: Broker) -> None:
    _at_identity(kiosk)
    kiosk.post("/method", {"method": "moica"})
    _insert(kiosk, "moica", broker.citizen(10))
    kiosk.client.delete("/demo/card")
    assert kiosk.wait_event("wiped", 2)["reason"] == "card.removed"
    assert kiosk.get("/state")["status"] == 409


def test_a_card_event_without_a_card_never_wipes_a_session_at_a_cardless_method(kiosk: Kiosk) -> None:
    _at_identity(kiosk)
    kiosk.post("/method", {"method": "mobile"})
    kiosk.client.delete("/demo/card")  # nothing in the reader: a removal event with no card type
    assert wait_for(lambda: bool(kiosk.events("card")), 2)
    assert kiosk.get("/state")["status"] == 200


def test_the_page_carries_its_config_as_json_with_methods_and_languages(kiosk: Kiosk) -> None:
    html = kiosk.client.get("/").get_data(as_text=True)
    config = re.search(r'<script id="config" type="application/json">(.*?)</script>', html, re.S)
    assert config is not None
    data = json.loads(config.group(1))
    assert [m["id"] for m in data["methods"]] == [
        "moica", "mobile", "nhi_card", "nhi_household", "multi_factor", "otp", "bank_card",
    ]  # fmt: skip
    assert {m["id"]: m["credential"] for m in data["methods"]}["mobile"] == "citizen_certificate"
    assert data["languages"][0]["tag"] == "zh-TW" and data["simulatedReader"]
    assert data["messages"]["en"]["kiosk.welcome.start"]


def test_a_broker_that_cannot_be_reached_is_503_with_what_to_do(broker: Broker, tmp_path: Any) -> None:
    data = broker.settings.model_dump()
    data["broker"].update({"url": f"http://127.0.0.1:{free_port()}", "retries": 0, "timeout_s": 1})
    settings = Settings(**data)
    devices = KioskDevices(
        SimulatedReader(settings.devices.reader, timing=FAST), SimulatedPrinter(settings.devices.printer, 0)
    )
    app = create_app(settings, devices, BrokerClient(settings.broker))
    try:
        client = app.test_client()
        client.post("/api/start", json={})
        response = client.post("/api/service", json={"service_id": SERVICE})
        body = response.get_json()
        assert response.status_code == 503 and body["error"] == "broker.unavailable" and body["message"]["en"]
    finally:
        close_app(app)


def test_a_kiosk_with_a_real_reader_has_no_demo_card_routes(broker: Broker) -> None:
    data = broker.settings.model_dump()
    data["devices"]["reader"]["driver"] = "real"
    settings = Settings(**data)
    devices = KioskDevices(PcscReader(settings.devices.reader), SimulatedPrinter(settings.devices.printer, 0))
    app = create_app(settings, devices, BrokerClient(settings.broker))
    try:
        client = app.test_client()
        assert client.post("/demo/card", json={"type": "moica"}).status_code == 404
        assert client.delete("/demo/card").status_code == 404
        config = re.search(
            r'<script id="config" type="application/json">(.*?)</script>', client.get("/").get_data(as_text=True), re.S
        )
        assert config is not None and json.loads(config.group(1))["simulatedReader"] is False
    finally:
        close_app(app)


def _verified(kiosk: Kiosk, broker: Broker, index: int) -> None:
    citizen = broker.citizen(index)
    _at_identity(kiosk)
    _moica(kiosk, citizen)
    kiosk.client.delete("/demo/card")
    kiosk.post("/method", {"method": "nhi_household"})
    answer = kiosk.post(
        "/identity/nhi", {"nhi_card_number": citizen.nhi_card_number, "household_number": citizen.household_number}
    )
    assert answer["verified"], answer


def test_concurrent_print_calls_on_one_session_give_one_code(kiosk: Kiosk, broker: Broker) -> None:
    _verified(kiosk, broker, 11)
    codes: list[str] = []
    start = threading.Barrier(6)

    def press(n: int) -> None:
        start.wait()
        codes.append(kiosk.post("/print", {"request_id": f"tap-{n}"})["code"])

    threads = [threading.Thread(target=press, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(codes) == 6 and len(set(codes)) == 1 and re.fullmatch(r"\d{16}", codes[0])


def test_a_print_asked_again_with_its_request_id_is_told_again_not_printed_twice(kiosk: Kiosk, broker: Broker) -> None:
    _verified(kiosk, broker, 12)
    assert kiosk.get("/receipt")["status"] == 409  # nothing issued yet
    first = kiosk.post("/print", {"request_id": "attempt-1"})
    again = kiosk.post("/print", {"request_id": "attempt-1"})  # the page lost the first answer
    assert first["printed"] and again == first
    assert wait_for(lambda: len(kiosk.printer.jobs) == 1)
    known = kiosk.get("/receipt")
    assert known["code"] == first["code"] and known["printed"]
    reprint = kiosk.post("/print", {"request_id": "attempt-2"})  # "print again": a new attempt prints
    assert reprint["code"] == first["code"] and wait_for(lambda: len(kiosk.printer.jobs) == 2)


def test_a_card_left_in_the_reader_by_someone_before_is_never_read_for_the_next_citizen(
    kiosk: Kiosk, broker: Broker
) -> None:
    kiosk.client.post("/demo/card", json={"type": "moica", "national_id": broker.citizen(13).national_id})
    assert wait_for(lambda: kiosk.reader.readers()[0].card_present)
    started = kiosk.post("/start", {"language": "zh-TW"})
    assert started["card"] == {"kind": "card_inserted", "card_type": "moica"}  # the page asks it out first
    kiosk.post("/service", {"service_id": SERVICE})
    kiosk.post("/consent", {"accepted": True, "shown": "scrolled"})
    kiosk.post("/method", {"method": "moica"})
    refused = kiosk.post("/identity/moica", {"pin": "123456"})
    assert refused["status"] == 400 and refused["error"] == "card.remove_first"
    kiosk.client.delete("/demo/card")  # taken out: now this citizen's card may go in
    assert wait_for(lambda: kiosk.events("card") and kiosk.events("card")[-1]["kind"] == "card_removed")
    _insert(kiosk, "moica", broker.citizen(13))
    passed = kiosk.post("/identity/moica", {"pin": "123456"})
    assert passed.get("methods") == ["moica"], passed


def test_the_audio_guide_speaks_offline_as_wav(kiosk: Kiosk) -> None:
    for language, text in (("zh-TW", "請插入自然人憑證，晶片朝上。"), ("en", "Please insert your card.")):
        response = kiosk.client.post("/api/speech", json={"language": language, "text": text})
        assert response.status_code == 200 and response.mimetype == "audio/wav"
        assert response.data[:4] == b"RIFF" and response.data[8:12] == b"WAVE" and len(response.data) > 20_000


def test_a_second_method_uses_the_id_the_first_proved_without_asking_again(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(14)  # first use: a second method on another credential
    _at_identity(kiosk)
    assert _moica(kiosk, citizen)["needs_another_method"]
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
    _at_identity(kiosk)
    kiosk.post("/method", {"method": "mobile"})
    refused = kiosk.post("/identity/mobile", {"national_id": ""})
    assert refused["status"] == 400 and refused["error"] == "kiosk.national_id.invalid"


def test_approving_the_wrong_number_is_a_failed_check_said_as_such(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(15)
    _at_identity(kiosk)
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
    _at_identity(kiosk)
    kiosk.post("/method", {"method": "mobile"})
    kiosk.post("/identity/mobile", {"national_id": citizen.national_id})
    phone = f"{broker.url}/phone/{citizen.national_id}/pushes"
    assert len(requests.get(phone, timeout=5).json()["pushes"]) == 1
    kiosk.post("/cancel")
    assert requests.get(phone, timeout=5).json()["pushes"] == []


def test_nhi_card_with_its_network_password(kiosk: Kiosk, broker: Broker) -> None:
    citizen = next(c for c in citizens(broker.settings)[17:] if c.nhi_password)
    assert citizen.nhi_password is not None
    _at_identity(kiosk, "moe-tuition-waiver")  # low-income status: the NHI card may release it
    kiosk.post("/method", {"method": "nhi_card"})
    _insert(kiosk, "nhi", citizen)
    wrong = kiosk.post("/identity/nhi_card", {"password": "not-" + citizen.nhi_password})
    assert wrong["status"] == 400 and wrong["error"] == "broker.nhi_card.password_wrong"
    passed = kiosk.post("/identity/nhi_card", {"password": citizen.nhi_password})
    assert passed["methods"] == ["nhi_card"]


def test_multi_factor_without_a_card_by_household_number_or_issue_date(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(18)
    _at_identity(kiosk, "moe-tuition-waiver")
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
