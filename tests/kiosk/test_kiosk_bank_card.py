"""晶片金融卡 at the kiosk, every API path in-process (``tests/kiosk/api_rig.py``): the simulated reader holding
the sandbox citizen's bank card, the real sandbox broker as the verification centre. The whole method, its
faults each said in zh-TW and en, the service that does not allow it, the second method that never asks for the
ID again, the card pulled at its own step, the broker's attempt limits per citizen and per kiosk."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from broker_sandbox.attempts import CITIZEN_FAILURES, CITIZEN_LOCK_S, TERMINAL_FAILURES, TERMINAL_WINDOW_S
from broker_sandbox.cards import SandboxCards
from broker_sandbox.citizens import Citizen
from counter_core.personal import Personal
from hardware.cards.bank_card import CardFault
from hardware.cards.interface import CardRemoved, ReaderUnplugged
from hardware.cards.simulated import BankCardCredentials
from mydata_counter.testing import wait_for
from mydata_counter.testing.sandbox import advance_clock
from tests.kiosk.api_rig import Broker, Kiosk, broker, kiosk

__all__ = ["broker", "kiosk"]
ALLOWS = "moe-tuition-waiver"  # releases 低收入戶證明 only: level D, the bank card may release it
REFUSES = "hualien-disabled-parking"  # household registration: certificate or SMS only
PIN = "80241357"


def _at_identity(kiosk: Kiosk, service: str = ALLOWS) -> None:
    assert kiosk.post("/start", {"language": "zh-TW"})["status"] == 200
    assert kiosk.post("/service", {"service_id": service})["status"] == 200
    assert kiosk.post("/consent", {"accepted": True, "shown": "scrolled"})["consented"]
    kiosk.post("/method", {"method": "bank_card"})


def _insert(kiosk: Kiosk, citizen: Citizen, card: str = "bank", pin: str = PIN) -> None:
    seen = len(kiosk.events("card"))
    kiosk.client.post("/demo/card", json={"type": card, "national_id": citizen.national_id, "pin": pin})
    assert wait_for(lambda: len(kiosk.events("card")) > seen and kiosk.events("card")[-1]["kind"] == "card_inserted")
    assert kiosk.events("card")[-1]["card_type"] == card


def _bank_card(kiosk: Kiosk, national_id: str, pin: str = PIN) -> Any:
    return kiosk.post("/identity/bank_card", {"national_id": national_id, "pin": pin})


def _said(answer: dict[str, Any], key: str) -> None:
    assert answer["status"] == 400 and answer["error"] == key, answer
    assert answer["message"]["zh-TW"] and answer["message"]["en"] and "{" not in answer["message"]["en"]


def test_the_page_offers_the_bank_card_with_its_pane(kiosk: Kiosk) -> None:
    html = kiosk.client.get("/").get_data(as_text=True)
    assert 'id="pane-bank_card"' in html and 'data-target="bankpin"' in html and 'id="demo-bank"' in html
    config = re.search(r'<script id="config" type="application/json">(.*?)</script>', html, re.S)
    assert config is not None and '"id": "bank_card"' in config.group(1).replace('":"', '": "')


def test_a_citizen_signs_with_the_bank_card_then_a_second_method_and_gets_a_receipt(
    kiosk: Kiosk, broker: Broker
) -> None:
    citizen = broker.citizen(40)
    _at_identity(kiosk)
    _insert(kiosk, citizen)
    passed = _bank_card(kiosk, citizen.national_id.lower())
    assert passed["status"] == 200 and passed["methods"] == ["bank_card"], passed
    assert passed["needs_another_method"] and passed["masked_id"].startswith(citizen.national_id[:3])
    kiosk.client.delete("/demo/card")  # taken out once passed: the session goes on
    kiosk.post("/method", {"method": "nhi_household"})
    second = kiosk.post(
        "/identity/nhi", {"nhi_card_number": citizen.nhi_card_number, "household_number": citizen.household_number}
    )
    assert second["verified"] and second["methods"] == ["bank_card", "nhi_household"]
    printed = kiosk.post("/print")
    assert printed["printed"] and re.fullmatch(r"\d{16}", printed["code"])


def test_a_wrong_pin_says_the_tries_left_warns_before_the_last_and_a_locked_card_stays_locked(
    kiosk: Kiosk, broker: Broker
) -> None:
    citizen = broker.citizen(41)
    _at_identity(kiosk)
    _insert(kiosk, citizen)
    first = _bank_card(kiosk, citizen.national_id, "000000")
    _said(first, "card.bank_card.pin_wrong")
    assert first["params"]["tries_left"] == 2 and "2" in first["message"]["zh-TW"]
    last = _bank_card(kiosk, citizen.national_id, "111111")
    _said(last, "card.bank_card.pin_last_try")
    assert "再錯 1 次將鎖卡" in last["message"]["zh-TW"] and "locks the card" in last["message"]["en"]
    _said(_bank_card(kiosk, citizen.national_id, "222222"), "card.bank_card.pin_locked")
    locked = _bank_card(kiosk, citizen.national_id, PIN)
    _said(locked, "card.bank_card.pin_locked")
    assert "銀行" in locked["message"]["zh-TW"] and "another way" in locked["message"]["en"]
    assert kiosk.get("/state")["methods"] == []


def test_a_card_whose_account_is_not_the_citizens_is_said_so_with_the_tries_left(kiosk: Kiosk, broker: Broker) -> None:
    holder, other = broker.citizen(42), broker.citizen(43)
    _at_identity(kiosk)
    _insert(kiosk, holder)
    answer = _bank_card(kiosk, other.national_id)
    _said(answer, "kiosk.bank_card.not_yours")
    assert answer["params"]["tries_left"] == 4
    assert _bank_card(kiosk, holder.national_id)["methods"] == ["bank_card"]  # the right ID, the same card


class _ForgedBankCards(SandboxCards):
    """A card whose certificate no bank issued: the citizen CA's certificate on a bank card."""

    def bank_card_credentials(self, national_id: str) -> BankCardCredentials | None:
        moica = self.moica_credentials(national_id)
        assert moica is not None
        return BankCardCredentials(moica.certificate_der, moica.sign)


def test_a_card_the_verification_centre_does_not_accept_is_refused(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(44)
    kiosk.reader.cards = _ForgedBankCards(broker.settings.sandbox.seed, broker.settings.sandbox.citizens)
    _at_identity(kiosk)
    _insert(kiosk, citizen)
    answer = _bank_card(kiosk, citizen.national_id)
    _said(answer, "kiosk.bank_card.refused")
    assert "第三方驗證中心" in answer["message"]["zh-TW"] and "verification centre" in answer["message"]["en"]


@pytest.mark.parametrize(
    ("situation", "key"),
    [
        ("no card", "card.no_card"),
        ("an NHI card", "card.bank_card.wrong_card"),
        ("a reader pulled out", "card.reader_unplugged"),
        ("the card pulled while it signs", "card.removed"),
        ("a chip answering nonsense", "card.bank_card.fault"),
        ("an ID with a typo", "kiosk.national_id.invalid"),
        ("a PIN of five digits", "card.bank_card.pin_format"),
    ],
)
def test_each_fault_says_what_to_do_in_both_languages_and_costs_no_try(
    kiosk: Kiosk, broker: Broker, situation: str, key: str
) -> None:
    citizen = broker.citizen(45)
    _at_identity(kiosk)
    national_id, pin = citizen.national_id, PIN
    if situation == "an NHI card":
        _insert(kiosk, citizen, card="nhi")
    elif situation != "no card":
        _insert(kiosk, citizen)
    if situation == "a reader pulled out":
        kiosk.reader.plant_fault(ReaderUnplugged())
    if situation == "the card pulled while it signs":  # the exchange broke (the removal event: its own test)
        kiosk.reader.plant_fault(CardRemoved())
    if situation == "a chip answering nonsense":
        kiosk.reader.plant_fault(CardFault())
    if situation == "an ID with a typo":
        national_id = national_id[:-1] + str((int(national_id[-1]) + 1) % 10)
    if situation == "a PIN of five digits":
        pin = PIN[:5]
    _said(_bank_card(kiosk, national_id, pin), key)
    if situation not in ("no card", "an NHI card"):  # the same card with the right ID and PIN still works
        assert _bank_card(kiosk, citizen.national_id)["methods"] == ["bank_card"]


def test_a_service_whose_datasets_the_bank_card_may_not_release_refuses_it_naming_the_dataset(
    kiosk: Kiosk, broker: Broker
) -> None:
    citizen = broker.citizen(46)
    _at_identity(kiosk, REFUSES)
    _insert(kiosk, citizen)
    answer = _bank_card(kiosk, citizen.national_id)
    _said(answer, "broker.identity.not_allowed")
    assert "個人戶籍" in answer["message"]["zh-TW"]
    catalogue = kiosk.get("/catalogue")
    allowed = {s["id"]: s["allowed_methods"] for a in catalogue["agencies"] for s in a["services"]}
    assert "bank_card" in allowed[ALLOWS] and "bank_card" not in allowed[REFUSES]


def test_as_a_second_method_the_bank_card_uses_the_id_the_first_proved(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(47)
    _at_identity(kiosk)
    kiosk.post("/method", {"method": "nhi_household"})
    first = kiosk.post(
        "/identity/nhi", {"nhi_card_number": citizen.nhi_card_number, "household_number": citizen.household_number}
    )
    assert first["needs_another_method"]
    kiosk.post("/method", {"method": "bank_card"})
    _insert(kiosk, citizen)
    done = _bank_card(kiosk, "")  # no ID typed again
    assert done["verified"] and done["methods"] == ["nhi_household", "bank_card"], done


def test_as_a_second_method_someone_elses_bank_card_is_not_the_citizens(kiosk: Kiosk, broker: Broker) -> None:
    citizen, other = broker.citizen(48), broker.citizen(49)
    _at_identity(kiosk)
    kiosk.post("/method", {"method": "nhi_household"})
    kiosk.post(
        "/identity/nhi", {"nhi_card_number": citizen.nhi_card_number, "household_number": citizen.household_number}
    )
    kiosk.post("/method", {"method": "bank_card"})
    _insert(kiosk, other)
    _said(_bank_card(kiosk, ""), "kiosk.bank_card.not_yours")
    assert not kiosk.get("/state")["verified"]


def test_the_bank_card_pulled_at_its_own_step_wipes_the_session(kiosk: Kiosk, broker: Broker) -> None:
    _at_identity(kiosk)
    _insert(kiosk, broker.citizen(50))
    kiosk.client.delete("/demo/card")
    assert kiosk.wait_event("wiped", 2)["reason"] == "card.removed"
    assert kiosk.get("/state")["status"] == 409


def test_the_pin_is_wiped_once_used_whatever_the_outcome(kiosk: Kiosk, broker: Broker) -> None:
    citizen = broker.citizen(51)
    _at_identity(kiosk)
    _insert(kiosk, citizen)
    service = kiosk.app.extensions["kiosk.service"]
    state = next(iter(service.store.all()))
    for pin in ("000000", PIN):
        secret = Personal(pin, "bank card PIN")
        try:
            service.identity.bank_card(state, citizen.national_id, secret)
        except Exception as error:  # the wrong PIN's answer
            assert getattr(error, "key", "") == "card.bank_card.pin_wrong"
        assert secret.wiped and pin not in repr(secret)
    assert state.methods == ["bank_card"]


@pytest.fixture
def fresh_limits(broker: Broker) -> Any:
    """The broker's attempt windows and locks start empty and end over (the broker is shared by the module)."""
    advance_clock(broker.url, CITIZEN_LOCK_S + TERMINAL_WINDOW_S + 1)
    yield
    advance_clock(broker.url, CITIZEN_LOCK_S + TERMINAL_WINDOW_S + 1)


def test_someone_elses_id_tried_again_and_again_locks_the_bank_card_way_for_that_citizen(
    kiosk: Kiosk, broker: Broker, fresh_limits: None
) -> None:
    holder, claimed = broker.citizen(52), broker.citizen(53)
    _at_identity(kiosk)
    _insert(kiosk, holder)
    left = []
    for _ in range(CITIZEN_FAILURES - 1):
        answer = _bank_card(kiosk, claimed.national_id)
        _said(answer, "kiosk.bank_card.not_yours")
        left.append(answer["params"]["tries_left"])
    assert left == list(range(CITIZEN_FAILURES - 1, 0, -1))
    locked = _bank_card(kiosk, claimed.national_id)
    _said(locked, "broker.identity.locked")
    assert "60 分鐘" in locked["message"]["zh-TW"] and "another way" in locked["message"]["en"]
    _said(_bank_card(kiosk, claimed.national_id), "broker.identity.locked")  # the right card cannot open it now
    assert _bank_card(kiosk, holder.national_id)["methods"] == ["bank_card"]  # the holder's own ID is not locked


def test_too_many_failures_at_one_kiosk_hold_everyone_there_with_the_wait_said(
    kiosk: Kiosk, broker: Broker, fresh_limits: None
) -> None:
    holder = broker.citizen(54)
    _at_identity(kiosk)
    _insert(kiosk, holder)
    for index in range(TERMINAL_FAILURES):  # a different claimed ID each time: no citizen's lock, only the kiosk's
        _said(_bank_card(kiosk, broker.citizen(60 + index).national_id), "kiosk.bank_card.not_yours")
    limited = _bank_card(kiosk, holder.national_id)  # the right ID and card, but the kiosk must wait
    _said(limited, "broker.identity.rate_limited")
    assert "分鐘" in limited["message"]["zh-TW"] and "ask a clerk" in limited["message"]["en"]
    assert kiosk.get("/state")["methods"] == []


def test_the_pin_and_the_id_never_reach_a_log_at_any_level(
    kiosk: Kiosk, broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    citizen = broker.citizen(55)
    caplog.set_level(logging.DEBUG)
    _at_identity(kiosk)
    _insert(kiosk, citizen)
    _said(_bank_card(kiosk, citizen.national_id, "97531864"), "card.bank_card.pin_wrong")
    assert _bank_card(kiosk, citizen.national_id)["methods"] == ["bank_card"]
    assert caplog.records  # the kiosk and the broker did log
    assert "97531864" not in caplog.text and PIN not in caplog.text and citizen.national_id not in caplog.text
