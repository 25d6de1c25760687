"""The chip bank card (晶片金融卡) over our stand-in APDUs: through a real pcscd to a virtual card on vpcd carrying a
sandbox citizen's bank-card key and certificate (the signature passes the sandbox's verification centre), the PIN
counting down to a lock, the wrong card, a chip fault, a card pulled mid-signature; the simulated reader obeying
the same rules; and docs/bank-card.md's table against the code."""

from __future__ import annotations

import re
import secrets
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker_sandbox.ca import verify_bank_card_signature
from broker_sandbox.cards import SandboxCards
from broker_sandbox.citizens import generate_citizens
from counter_core.errors import CounterError
from counter_core.personal import Personal
from counter_core.settings import ReaderSettings
from hardware.cards import bank_card
from hardware.cards.bank_card import ATR, CHIP_FAULT, INS_READ_BINARY, INS_VERIFY, CardFault
from hardware.cards.bank_card_applet import BankCardApplet
from hardware.cards.interface import (
    BankCardSignature,
    CardEvent,
    CardRemoved,
    NoCard,
    PinLocked,
    PinWrong,
    UnknownCard,
)
from hardware.cards.nhi_card import encode_basic_data
from hardware.cards.pcsc import PcscReader
from hardware.cards.simulated import SimulatedReader, Timing
from hardware.cards.vpcd import VirtualCard, nhi_responder
from mydata_counter.testing import wait_for
from tests.cards.cards_rig import Pcscd

SEED = 20261124
CITIZENS = 240
CITIZEN = generate_citizens(SEED, CITIZENS)[21]
PIN = "24681357"
ROOT = Path(__file__).resolve().parents[2]


def _reader() -> PcscReader:
    return PcscReader(ReaderSettings(driver="real", reader_name="Virtual PCD 00 00"))


def _applet(pin: str = PIN, sign_delay_s: float = 0.0) -> BankCardApplet:
    card = SandboxCards(SEED, CITIZENS).bank_card_credentials(CITIZEN.national_id)
    assert card is not None
    return BankCardApplet(card.certificate_der, card.sign, pin, sign_delay_s=sign_delay_s)


def _sign(reader: PcscReader | SimulatedReader, pin: str, challenge: bytes) -> BankCardSignature:
    return reader.bank_card_sign(Personal(pin, "bank card PIN"), challenge)


def _inserted(reader: PcscReader) -> bool:
    return any(r.card_present for r in reader.readers())


# -- through pcscd + vpcd ------------------------------------------------------------------------------
def test_the_virtual_bank_card_signs_through_pcscd_and_the_verification_centre_names_its_account(
    pcscd: Pcscd, empty_reader: None
) -> None:
    reader = _reader()
    events: list[CardEvent] = []
    reader.subscribe(events.append)
    challenge = secrets.token_bytes(32)
    pin = Personal(PIN, "bank card PIN")
    try:
        with VirtualCard(_applet(), atr=ATR):
            assert wait_for(lambda: any(e.kind == "card_inserted" and e.card_type == "bank" for e in events), 10)
            assert [r.card_type for r in reader.readers() if r.card_present] == ["bank"]
            started = time.perf_counter()
            signed = reader.bank_card_sign(pin, challenge)
            elapsed_ms = (time.perf_counter() - started) * 1000
        assert pin.wiped
        account = verify_bank_card_signature(SEED, signed.certificate_der, challenge, signed.signature_der)
        assert account == CITIZEN.bank_card_account
        assert elapsed_ms < 1000, f"a signature through pcscd took {elapsed_ms:.0f} ms"
        assert CITIZEN.bank_card_account not in repr(signed)
    finally:
        reader.close()


def test_a_wrong_pin_counts_down_through_pcscd_then_the_card_locks_even_for_the_right_pin(
    pcscd: Pcscd, empty_reader: None
) -> None:
    reader = _reader()
    applet = _applet()
    with VirtualCard(applet, atr=ATR):
        assert wait_for(lambda: _inserted(reader), 10)
        with pytest.raises(PinWrong) as first:
            _sign(reader, "000000", secrets.token_bytes(32))
        assert first.value.key == "card.bank_card.pin_wrong" and first.value.tries_left == 2
        signed = _sign(reader, PIN, secrets.token_bytes(32))  # the right PIN resets the count
        assert signed.signature_der and applet.tries_left == 3
        for left in (2, 1):
            with pytest.raises(PinWrong) as wrong:
                _sign(reader, "111111", secrets.token_bytes(32))
            assert wrong.value.tries_left == left
        with pytest.raises(PinLocked) as locked:
            _sign(reader, "222222", secrets.token_bytes(32))
        assert locked.value.key == "card.bank_card.pin_locked"
        with pytest.raises(PinLocked):  # no right PIN opens it again
            _sign(reader, PIN, secrets.token_bytes(32))
    assert applet.tries_left == 0


def test_a_card_without_our_application_is_the_wrong_card_and_never_hears_the_pin(
    pcscd: Pcscd, empty_reader: None
) -> None:
    reader = _reader()
    heard: list[bytes] = []
    nhi = nhi_responder(
        encode_basic_data(
            CITIZEN.nhi_card_number, CITIZEN.name, CITIZEN.national_id, CITIZEN.birth_date, CITIZEN.sex, None
        )
    )

    def listening(apdu: bytes) -> bytes:
        heard.append(apdu)
        return nhi(apdu)

    with VirtualCard(listening):
        assert wait_for(lambda: _inserted(reader), 10)
        heard.clear()
        with pytest.raises(UnknownCard) as wrong:
            _sign(reader, PIN, secrets.token_bytes(32))
    assert wrong.value.key == "card.bank_card.wrong_card"
    assert heard and all(apdu[1] != INS_VERIFY for apdu in heard)


def test_a_chip_fault_reading_the_certificate_costs_no_pin_try(pcscd: Pcscd, empty_reader: None) -> None:
    reader = _reader()
    applet = _applet()
    applet.faults[INS_READ_BINARY] = CHIP_FAULT
    with VirtualCard(applet, atr=ATR):
        assert wait_for(lambda: _inserted(reader), 10)
        with pytest.raises(CardFault) as fault:
            _sign(reader, PIN, secrets.token_bytes(32))
    assert fault.value.key == "card.bank_card.fault"
    assert INS_VERIFY not in applet.commands and applet.tries_left == 3


def test_the_bank_card_pulled_while_it_signs_is_card_removed(pcscd: Pcscd, empty_reader: None) -> None:
    reader = _reader()
    applet = _applet(sign_delay_s=1.0)
    card = VirtualCard(applet, atr=ATR).insert()
    outcome: list[BaseException | BankCardSignature] = []
    try:
        assert wait_for(lambda: _inserted(reader), 10)

        def sign() -> None:
            try:
                outcome.append(_sign(reader, PIN, secrets.token_bytes(32)))
            except BaseException as exc:
                outcome.append(exc)

        worker = threading.Thread(target=sign)
        worker.start()
        assert wait_for(lambda: bank_card.INS_INTERNAL_AUTHENTICATE in applet.commands, 5)
    finally:
        card.remove()
    worker.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], CardRemoved), outcome


def test_no_card_in_the_reader_is_no_card(pcscd: Pcscd, empty_reader: None) -> None:
    pin = Personal(PIN, "bank card PIN")
    with pytest.raises(NoCard):
        _reader().bank_card_sign(pin, secrets.token_bytes(32))
    assert pin.wiped


# -- the host side alone -----------------------------------------------------------------------------
@given(st.text(alphabet="0123456789", min_size=6, max_size=12))
def test_a_pin_block_is_iso_9564_format_2_and_the_card_reads_it_back(pin: str) -> None:
    block = bank_card.pin_block(pin)
    assert len(block) == 8 and block[0] == 0x20 | len(pin)
    assert bank_card.pin_from_block(bytes(block)) == pin


@pytest.mark.parametrize("pin", ["12345", "1234567890123", "12345a", "１２３４５６", ""])
def test_a_pin_of_the_wrong_form_never_reaches_the_card(pin: str) -> None:
    sent: list[bytes] = []
    secret = Personal(pin, "bank card PIN")

    def card(apdu: bytes) -> tuple[bytes, bytes]:
        sent.append(apdu)
        return b"", bank_card.OK

    with pytest.raises(CounterError) as refused:
        bank_card.sign_challenge(card, secret, b"c" * 32)
    assert refused.value.key == "card.bank_card.pin_format" and sent == [] and secret.wiped


def test_a_card_answering_a_certificate_that_is_not_der_is_a_fault() -> None:
    def card(apdu: bytes) -> tuple[bytes, bytes]:
        return (b"\x04\x82\x01\x00" + b"\x00" * 20, bank_card.END_OF_FILE) if apdu[1] == 0xB0 else (b"", bank_card.OK)

    with pytest.raises(CardFault):
        bank_card.sign_challenge(card, Personal(PIN), b"c" * 32)


def _doc_rows() -> dict[str, str]:
    text = (ROOT / "docs" / "bank-card.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([A-Z][A-Za-z ()]+?) \| `([0-9A-F ]{11})`", text, re.M)
    return {name: header for name, header in rows}


def test_the_documented_apdus_are_the_ones_the_driver_sends_and_the_card_answers() -> None:
    rows = _doc_rows()

    def hexed(apdu: bytes) -> str:
        return apdu[:4].hex(" ").upper()

    assert rows["SELECT application"] == hexed(bank_card.SELECT_APP)
    assert rows["SELECT certificate file"] == hexed(bank_card.SELECT_CERTIFICATE)
    assert rows["VERIFY (card PIN)"] == hexed(bank_card.verify_command(bank_card.pin_block(PIN)))
    assert rows["INTERNAL AUTHENTICATE"] == hexed(bank_card.internal_authenticate_command(b"c" * 32))
    assert bank_card.read_binary_command(0x123, 0xF0)[:2].hex(" ").upper() == "00 B0"
    text = (ROOT / "docs" / "bank-card.md").read_text(encoding="utf-8")
    assert bank_card.AID.hex(" ").upper() in text and ATR.hex(" ").upper() in text
    for status in ("90 00", "62 82", "63 Cx", "69 82", "69 83", "69 85", "67 00", "6A 80", "6A 82", "6B 00", "6F 00"):
        assert f"`{status}`" in text, status


# -- the simulated reader obeys the same rules -------------------------------------------------------------
def _simulated() -> SimulatedReader:
    reader = SimulatedReader(ReaderSettings(driver="simulated"), SandboxCards(SEED, CITIZENS), Timing(0.0, 0.0, 0.0))
    reader.insert("bank", CITIZEN.national_id, PIN)
    return reader


def test_the_simulated_bank_card_signs_for_the_verification_centre_and_locks_after_three_wrong_pins() -> None:
    reader = _simulated()
    challenge = secrets.token_bytes(32)
    signed = _sign(reader, PIN, challenge)
    assert verify_bank_card_signature(SEED, signed.certificate_der, challenge, signed.signature_der) == (
        CITIZEN.bank_card_account
    )
    tries = []
    for wrong in ("000000", "111111"):
        with pytest.raises(PinWrong) as error:
            _sign(reader, wrong, challenge)
        tries.append(error.value.tries_left)
    assert tries == [2, 1]
    with pytest.raises(PinLocked):
        _sign(reader, "222222", challenge)
    with pytest.raises(PinLocked):
        _sign(reader, PIN, challenge)


def test_the_simulated_reader_refuses_another_card_a_bad_pin_form_and_says_a_planted_fault() -> None:
    reader = _simulated()
    with pytest.raises(CounterError) as form:
        _sign(reader, "12ab", b"c" * 32)
    assert form.value.key == "card.bank_card.pin_format"
    reader.plant_fault(CardFault())
    with pytest.raises(CardFault):
        _sign(reader, PIN, b"c" * 32)
    assert _sign(reader, PIN, b"c" * 32).signature_der  # once: the fault cost no try
    reader.insert("moica", CITIZEN.national_id)
    with pytest.raises(UnknownCard) as wrong:
        _sign(reader, PIN, b"c" * 32)
    assert wrong.value.key == "card.bank_card.wrong_card"
    reader.remove()
    with pytest.raises(NoCard):
        _sign(reader, PIN, b"c" * 32)
