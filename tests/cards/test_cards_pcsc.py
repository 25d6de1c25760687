"""Card readers through a real pcscd: virtual NHI cards on vpcd, events, faults; MOICA through PKCS#11
(SoftHSM2 tokens holding sandbox-CA credentials)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import types
from datetime import date
from pathlib import Path
from typing import Any

import PyKCS11
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broker_sandbox.ca import citizen_credentials, verify_citizen_signature
from broker_sandbox.citizens import generate_citizens
from counter_core.personal import Personal
from counter_core.settings import ReaderSettings
from hardware.cards import moica_pkcs11
from hardware.cards.interface import (
    CardEvent,
    CardRemoved,
    CardServiceDown,
    NoCard,
    NoReader,
    PinLocked,
    PinWrong,
    UnknownCard,
)
from hardware.cards.moica_pkcs11 import sign_with_token
from hardware.cards.nhi_card import encode_basic_data, parse_basic_data
from hardware.cards.pcsc import PcscReader
from hardware.cards.softhsm import MODULE, create_token
from hardware.cards.vpcd import VirtualCard, nhi_responder
from mydata_counter.testing import wait_for
from tests.cards.cards_rig import Pcscd

SEED = 20261124
CITIZEN = generate_citizens(SEED, 240)[12]
DATA = encode_basic_data(
    CITIZEN.nhi_card_number, CITIZEN.name, CITIZEN.national_id, CITIZEN.birth_date, CITIZEN.sex, date(2020, 3, 4)
)


def _reader() -> PcscReader:
    return PcscReader(ReaderSettings(driver="real", reader_name="Virtual PCD 00 00"))


def test_nhi_card_read_through_pcscd(pcscd: Pcscd, empty_reader: None) -> None:
    reader = _reader()
    with VirtualCard(nhi_responder(DATA)):
        assert wait_for(lambda: any(r.card_present for r in reader.readers()))
        card = reader.read_nhi()
    assert card.national_id.reveal() == CITIZEN.national_id
    assert card.name.reveal() == CITIZEN.name
    assert card.card_number.reveal() == CITIZEN.nhi_card_number
    assert card.birth_date.reveal() == CITIZEN.birth_date
    assert card.issue_date == date(2020, 3, 4)
    assert CITIZEN.national_id not in repr(card)


def test_insert_and_remove_events_arrive(pcscd: Pcscd, empty_reader: None) -> None:
    reader = _reader()
    events: list[CardEvent] = []
    reader.subscribe(events.append)
    try:
        assert wait_for(lambda: any(e.kind == "reader_added" for e in events))
        with VirtualCard(nhi_responder(DATA)):
            assert wait_for(lambda: any(e.kind == "card_inserted" and e.card_type == "nhi" for e in events))
        assert wait_for(lambda: any(e.kind == "card_removed" for e in events))
    finally:
        reader.close()


def test_card_pulled_mid_read_is_a_clear_error(pcscd: Pcscd, empty_reader: None) -> None:
    reader = _reader()
    card = VirtualCard(nhi_responder(DATA, slow_read_s=1.0)).insert()
    assert wait_for(lambda: any(r.card_present for r in reader.readers()))
    threading.Timer(0.3, card.remove).start()
    with pytest.raises(CardRemoved) as raised:
        reader.read_nhi()
    assert "重新插卡" in raised.value.message("zh-TW")


def test_an_unknown_card_is_named_as_such(pcscd: Pcscd, empty_reader: None) -> None:
    reader = _reader()
    with VirtualCard(lambda apdu: b"\x6a\x82"):
        assert wait_for(lambda: any(r.card_present for r in reader.readers()))
        assert reader.readers()[0].card_type == "unknown"
        with pytest.raises(UnknownCard):
            reader.read_nhi()


def test_empty_reader_asks_for_the_card(pcscd: Pcscd, empty_reader: None) -> None:
    reader = _reader()
    assert reader.readers()[0].card_present is False
    with pytest.raises(NoCard) as raised:
        reader.read_nhi()
    assert "插入" in raised.value.message("zh-TW")


def test_missing_reader_is_named_in_health_and_reads(pcscd: Pcscd) -> None:
    reader = PcscReader(ReaderSettings(driver="real", reader_name="ACS ACR39U"))
    assert reader.health().message_key == "card.no_reader"
    with pytest.raises(NoReader) as raised:
        reader.read_nhi()
    assert "plugged in" in raised.value.message("en")


def test_hw_readers_lists_the_card(pcscd: Pcscd, empty_reader: None, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[devices.reader]\ndriver = "real"\nreader_name = "Virtual PCD"\n')
    with VirtualCard(nhi_responder(DATA)):
        assert wait_for(lambda: any(r.card_present for r in _reader().readers()))
        result = subprocess.run(
            [sys.executable, "-m", "mydata_counter.cli", "hw", "readers", "--json", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    listed = json.loads(result.stdout)["readers"]
    assert listed[0]["card_present"] and listed[0]["card_type"] == "nhi" and listed[0]["atr"].startswith("3B")


def test_pcscd_down_is_reported_with_a_hint(pcscd: Pcscd, empty_reader: None) -> None:
    if pcscd.process is None:
        pytest.skip("pcscd was started by someone else; not stopping it")
    pcscd.stop()
    try:
        reader = _reader()
        assert reader.health().message_key == "card.service_down"
        with pytest.raises(CardServiceDown) as raised:
            reader.read_nhi()
        assert "pcscd" in raised.value.message("en")
    finally:
        pcscd.start()
    assert _reader().health().state == "ok"


def test_same_reader_recovers_after_pcscd_restarts_mid_session(pcscd: Pcscd, empty_reader: None) -> None:
    """pcscd restarted (an update, a crash) while a card is in: the kiosk's one reader object must come
    back by itself, reads and events included, without restarting the kiosk."""
    if pcscd.process is None:
        pytest.skip("pcscd was started by someone else; not restarting it")
    reader = _reader()
    events: list[CardEvent] = []
    reader.subscribe(events.append)
    try:
        with VirtualCard(nhi_responder(DATA)):
            assert wait_for(lambda: any(e.kind == "card_inserted" and e.card_type == "nhi" for e in events))
            assert reader.read_nhi().national_id.reveal() == CITIZEN.national_id
            pcscd.stop()
            assert reader.health().message_key == "card.service_down"
            assert wait_for(lambda: any(e.kind == "card_removed" and e.card_type == "nhi" for e in events))
            # the readers went with pcscd: said once, so a kiosk pauses its card methods
            assert wait_for(lambda: any(e.kind == "reader_removed" for e in events), 6)
            pcscd.start()
        assert wait_for(lambda: reader.health().state == "ok", 10)
        assert wait_for(lambda: any(e.kind == "reader_added" for e in events), 10)  # and back, said again
        assert sum(e.kind == "reader_removed" and e.reader == "" for e in events) <= 1, events  # not every 2 s
        assert wait_for(lambda: not any(r.card_present for r in reader.readers()), 5)
        events.clear()
        with VirtualCard(nhi_responder(DATA)):
            assert wait_for(lambda: any(e.kind == "card_inserted" and e.card_type == "nhi" for e in events), 10)
            assert reader.read_nhi().national_id.reveal() == CITIZEN.national_id
        assert wait_for(lambda: any(e.kind == "card_removed" and e.card_type == "nhi" for e in events), 10)
    finally:
        reader.close()


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Any:
    key, certificate = citizen_credentials(SEED, CITIZEN.national_id)
    return create_token(tmp_path_factory.mktemp("softhsm"), "MOICA", "123456", key, certificate)


def test_moica_login_and_signature_verified_by_the_sandbox_ca(token: Any) -> None:
    challenge = b"broker-challenge-0123456789abcdef"
    pin = Personal("123456", "PIN")
    signed = sign_with_token(MODULE, pin, challenge)
    assert pin.wiped  # the PIN is cleared after use
    assert (
        verify_citizen_signature(SEED, signed.certificate_der, challenge, signed.signature_der) == CITIZEN.national_id
    )


def test_wrong_pin_is_refused_with_a_message(token: Any) -> None:
    with pytest.raises(PinWrong) as raised:
        sign_with_token(MODULE, Personal("000000"), b"x")
    assert "PIN" in raised.value.message("en") and "PIN 碼錯誤" in raised.value.message("zh-TW")


class _LockingToken:
    """The PKCS#11 module of a card that has counted down to its last try, then locks: what SoftHSM2
    never does (it has no retry counter), so the module is replaced at the library boundary."""

    def __init__(self, flags: list[int], login_error: int) -> None:
        self.flags, self.login_error = flags, login_error

    def load(self, _path: str) -> None:
        pass

    def getSlotList(self, tokenPresent: bool) -> list[int]:  # noqa: N802, N803 - PyKCS11's API
        return [0]

    def getTokenInfo(self, _slot: int) -> Any:  # noqa: N802
        return type(
            "Info", (), {"flags": self.flags.pop(0) if len(self.flags) > 1 else self.flags[0], "label": "MOICA"}
        )

    def openSession(self, _slot: int, _flags: int) -> Any:  # noqa: N802
        error = self.login_error

        class Session:
            def login(self, _pin: str) -> None:
                raise PyKCS11.PyKCS11Error(error)

            def closeSession(self) -> None:  # noqa: N802
                pass

        return Session()


@pytest.mark.parametrize(
    "flags,error,expected,tries",
    [
        ([0, PyKCS11.CKF_USER_PIN_FINAL_TRY], PyKCS11.CKR_PIN_INCORRECT, PinWrong, 1),
        ([0, PyKCS11.CKF_USER_PIN_LOCKED], PyKCS11.CKR_PIN_INCORRECT, PinLocked, None),
        ([0], PyKCS11.CKR_PIN_LOCKED, PinLocked, None),
        ([PyKCS11.CKF_USER_PIN_LOCKED], PyKCS11.CKR_OK, PinLocked, None),
    ],
    ids=["final-try", "locked-by-this-try", "CKR_PIN_LOCKED", "already-locked"],
)
def test_pin_countdown_and_locked_token_map_to_typed_errors(
    monkeypatch: pytest.MonkeyPatch, flags: list[int], error: int, expected: type[Exception], tries: int | None
) -> None:
    # The driver's view of the library gets the token; PyKCS11 itself is left alone (its objects' __del__
    # looks the class up in the module when the garbage collector runs).
    library = types.SimpleNamespace(**{**vars(PyKCS11), "PyKCS11Lib": lambda: _LockingToken(list(flags), error)})
    monkeypatch.setattr(moica_pkcs11, "PyKCS11", library)
    pin = Personal("999999")
    with pytest.raises(expected) as raised:
        sign_with_token(MODULE, pin, b"x")
    assert pin.wiped
    if tries is not None:
        assert raised.value.params["tries_left"] == tries  # type: ignore[attr-defined]
        assert "1 次" in raised.value.message("zh-TW")  # type: ignore[attr-defined]


@settings(max_examples=300)
@given(st.binary(max_size=80))
def test_garbage_card_answers_never_crash_the_parser(data: bytes) -> None:
    try:
        card = parse_basic_data(data)
    except UnknownCard:
        return
    assert len(card.card_number.reveal()) == 12
