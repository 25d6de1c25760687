"""The citizen's protections through the kiosk's API, in-process (``tests/kiosk/api_rig.py``) against the real
sandbox broker: consent only once the terms were shown, with the fields on screen, and asked again for newer terms;
the contact for notices registered and proved after the identity check; records of use with no values; the QR that
starts a phone sign-in without a typed ID, and its expiry."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import requests

from broker_client import BrokerClient
from broker_client.models import Catalogue
from broker_sandbox.citizens import Citizen
from mydata_counter.testing import wait_for
from mydata_counter.testing.sandbox import advance_clock, approve_push, issue_code, wait_for_code
from tests.kiosk.api_rig import Broker, Kiosk, broker, kiosk

__all__ = ["broker", "kiosk"]
SERVICE = "hualien-disabled-parking"


def _consented(kiosk: Kiosk) -> None:
    assert kiosk.post("/start", {"language": "zh-TW"})["status"] == 200
    assert kiosk.post("/service", {"service_id": SERVICE})["status"] == 200
    assert kiosk.post("/consent", {"accepted": True, "shown": "scrolled"})["consented"]


def _verified(kiosk: Kiosk, citizen: Citizen) -> dict[str, Any]:
    """The certificate card, then (first use) the NHI card + household number."""
    _consented(kiosk)
    kiosk.post("/method", {"method": "moica"})
    kiosk.client.post("/demo/card", json={"type": "moica", "national_id": citizen.national_id})
    assert wait_for(lambda: kiosk.reader.readers()[0].card_present)
    state = kiosk.post("/identity/moica", {"pin": "123456"})
    kiosk.client.delete("/demo/card")
    if state.get("needs_another_method"):
        state = kiosk.post("/identity/nhi", {"household_number": citizen.household_number,
                                            "nhi_card_number": citizen.nhi_card_number})  # fmt: skip
    assert state["verified"], state
    return dict(state)


def test_consent_needs_the_terms_shown_and_a_newer_version_is_asked_again(kiosk: Kiosk, broker: Broker) -> None:
    kiosk.post("/start")
    chosen = kiosk.post("/service", {"service_id": SERVICE})
    assert chosen["view_window_s"] == 600 and chosen["code_ttl_s"] == broker.settings.sandbox.code_ttl_s
    unread = kiosk.post("/consent", {"accepted": True, "terms_version": chosen["terms_version"]})
    assert unread["error"] == "kiosk.terms.unread" and "捲動" in unread["message"]["zh-TW"]
    shown = kiosk.get("/catalogue")
    assert shown["terms"]["version"] == chosen["terms_version"] and shown["terms"]["privacy_policy"]["en"]
    catalogues = broker.sandbox()["kiosk"].catalogue
    current: Catalogue = catalogues.catalogue
    newer = current.model_copy(update={
        "terms_version": "2026-07", "terms": current.terms.model_copy(update={"version": "2026-07"}),
    })  # fmt: skip
    catalogues.catalogue = newer  # the broker publishes new terms while the citizen reads the old ones
    try:
        old = {"accepted": True, "terms_version": chosen["terms_version"], "shown": "scrolled"}
        stale = kiosk.post("/consent", old)
        assert stale["status"] == 400 and stale["error"] == "broker.consent.mismatch"
        assert kiosk.get("/catalogue")["terms"]["version"] == "2026-07"  # the page fetches and shows the new ones
        agreed = kiosk.post("/consent", {"accepted": True, "terms_version": "2026-07", "shown": "read_aloud"})
        assert agreed["consented"]
    finally:
        catalogues.catalogue = current


def test_first_use_registers_a_proved_phone_and_the_receipt_says_where_the_notice_goes(
    kiosk: Kiosk, broker: Broker
) -> None:
    citizen = broker.citizen(20)
    assert kiosk.get("/contact")["status"] == 409  # no session yet
    _consented(kiosk)
    assert kiosk.get("/contact")["error"] == "broker.identity.required"  # not before the identity check
    _verified(kiosk, citizen)
    contact = kiosk.get("/contact")
    assert contact["first_registration"] and contact["primary"] is None
    bad = kiosk.post("/contact/code", {"kind": "phone", "address": "0212345678"})
    assert bad["status"] == 400 and bad["error"] == "broker.contact.phone_invalid" and "09" in bad["message"]["en"]
    bad_mail = kiosk.post("/contact/code", {"kind": "email", "address": "nobody-at-example.tw"})
    assert bad_mail["error"] == "broker.contact.email_invalid"
    sent = kiosk.post("/contact/code", {"kind": "phone", "address": citizen.phone})
    assert sent["sent_to"] == f"{citizen.phone[:4]}-***-{citizen.phone[-3:]}"
    wrong = kiosk.post("/contact/verify", {"kind": "phone", "code": "000000"})
    assert wrong["error"] == "broker.contact.code_wrong" and wrong["params"]["tries_left"] == 2
    code = wait_for_code(broker.url, citizen.phone)
    assert code is not None
    proved = kiosk.post("/contact/verify", {"kind": "phone", "code": code})
    assert proved["primary"] == "phone" and proved["phone"] == sent["sent_to"]
    assert kiosk.get("/state")["notice_to"] == sent["sent_to"]
    printed = kiosk.post("/print", {"request_id": "one"})
    assert printed["printed"] and kiosk.printer.wait_for_jobs(1)[-1].complete
    receipt = kiosk.app.extensions["kiosk.service"].store.all()[0]
    assert receipt.notice_to() == sent["sent_to"]  # printed on the receipt (tests/printer: the layout's lines)


def test_records_of_use_come_from_the_broker_without_values(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(21)
    client = BrokerClient(broker.settings.broker)
    clerk = client.clerk_login("clerk-hualien", "hualien-demo")
    seen = client.redeem(clerk.token, issue_code(client, broker.settings, citizen).code)
    client.close()
    _verified(kiosk, citizen)
    records = kiosk.get("/records")
    assert [r["transaction_id"] for r in records["records"]] == [seen.transaction_id]
    disability = next(d for d in records["records"][0]["datasets"] if d["id"] == "disability")
    assert [f["en"] for f in disability["fields"]] == ["Certificate", "Valid until", "Reduced mobility"]
    text = str(records)
    assert citizen.name not in text and citizen.national_id not in text and citizen.address not in text


def test_a_qr_on_screen_signs_in_by_number_matching_without_a_typed_id(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(22)
    _consented(kiosk)
    assert kiosk.get("/identity/qr.svg")["status"] == 400  # nothing to show yet
    kiosk.post("/method", {"method": "mobile"})
    started = kiosk.post("/identity/qr")
    assert started["status"] == 200 and 0 < started["seconds"] <= 60
    svg = kiosk.client.get("/api/identity/qr.svg")
    assert svg.mimetype == "image/svg+xml" and svg.headers["Cache-Control"] == "no-store"
    assert ET.fromstring(svg.data).tag.endswith("svg")
    payload = next(iter(kiosk.app.extensions["kiosk.service"].store.all())).qr.payload  # what the QR carries
    assert re.fullmatch(re.escape(broker.url) + r"/qr/[\w-]{32}", payload)
    scanned = requests.post(f"{broker.url}/phone/{citizen.national_id}/scan", json={"text": payload}, timeout=5)
    assert scanned.json()["state"] == "push"
    event = kiosk.wait_event("qr")
    assert event["state"] == "scanned" and re.fullmatch(r"\d\d", event["match_number"])
    pending = requests.get(f"{broker.url}/phone/{citizen.national_id}/pushes", timeout=5).json()["pushes"][0]
    assert approve_push(broker.url, citizen.national_id, pending["push_id"], event["match_number"]) == "approved"
    answered = kiosk.wait_event("push")
    assert answered["state"] == "approved" and answered["session"]["methods"] == ["mobile"]


def test_the_qr_expires_and_the_page_is_told(kiosk: Kiosk, broker: Broker) -> None:
    _consented(kiosk)
    kiosk.post("/method", {"method": "mobile"})
    assert kiosk.post("/identity/qr")["status"] == 200
    advance_clock(broker.url, 61)
    assert kiosk.wait_event("qr") == {"state": "expired"}
