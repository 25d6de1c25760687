"""Every kiosk API path in-process (``tests/kiosk/api_rig.py``): the Flask test client over ``KioskService``,
the real sandbox broker on loopback, the simulated reader and a real ESC/POS driver to the capture printer.
What only a browser shows stays in test_kiosk_flow.py."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from broker_client import BrokerClient
from counter_core.settings import Settings
from counter_web.base import close_app
from hardware.cards.pcsc import PcscReader
from hardware.cards.simulated import SimulatedReader
from hardware.printer.simulated import SimulatedPrinter
from kiosk import create_app
from kiosk.devices import KioskDevices
from mydata_counter.servicerunner import free_port
from mydata_counter.testing import wait_for
from tests.kiosk.api_rig import FAST, SERVICE, Broker, Kiosk, at_identity, broker, insert_card, kiosk, moica

__all__ = ["broker", "kiosk"]


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
    at_identity(kiosk)
    kiosk.post("/method", {"method": "moica"})
    kiosk.post("/method", {"method": "telepathy"})
    session = kiosk.app.extensions["kiosk.service"].store
    assert all(s.active_method == "" for s in session._sessions.values())


def test_paper_out_still_shows_the_code_and_retry_prints_it(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(9)
    at_identity(kiosk)
    moica(kiosk, citizen)
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
    at_identity(kiosk)
    assert kiosk.post("/cancel") == {"ok": True, "status": 200}
    assert kiosk.get("/state")["status"] == 409
    assert len(kiosk.app.extensions["kiosk.service"].store) == 0


def test_the_card_pulled_at_its_own_step_wipes_that_session_and_says_so(kiosk: Kiosk, broker: Broker) -> None:
    at_identity(kiosk)
    kiosk.post("/method", {"method": "moica"})
    insert_card(kiosk, "moica", broker.citizen(10))
    kiosk.client.delete("/demo/card")
    assert kiosk.wait_event("wiped", 2)["reason"] == "card.removed"
    assert kiosk.get("/state")["status"] == 409


def test_a_card_event_without_a_card_never_wipes_a_session_at_a_cardless_method(kiosk: Kiosk) -> None:
    at_identity(kiosk)
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
    at_identity(kiosk)
    moica(kiosk, citizen)
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
    insert_card(kiosk, "moica", broker.citizen(13))
    passed = kiosk.post("/identity/moica", {"pin": "123456"})
    assert passed.get("methods") == ["moica"], passed


def test_the_audio_guide_speaks_offline_as_wav(kiosk: Kiosk) -> None:
    for language, text in (("zh-TW", "請插入自然人憑證，晶片朝上。"), ("en", "Please insert your card.")):
        response = kiosk.client.post("/api/speech", json={"language": language, "text": text})
        assert response.status_code == 200 and response.mimetype == "audio/wav"
        assert response.data[:4] == b"RIFF" and response.data[8:12] == b"WAVE" and len(response.data) > 20_000
