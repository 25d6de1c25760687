"""The simulated reader behaves like the device: events arrive late from another thread, a wrong PIN
counts down to a locked card, a pulled card is a typed error; the signature still passes the sandbox CA."""

from __future__ import annotations

import threading

import pytest

from broker_sandbox.ca import verify_citizen_signature
from broker_sandbox.cards import SandboxCards
from counter_core.personal import Personal
from counter_core.settings import ReaderSettings
from hardware.cards import build_reader
from hardware.cards.interface import CardEvent, CardRemoved, NoCard, PinLocked, PinWrong, UnknownCard
from hardware.cards.simulated import MOICA_TRIES, SimulatedReader, Timing
from mydata_counter.testing import wait_for

SEED = 20261124


def _reader() -> SimulatedReader:
    reader = build_reader(ReaderSettings(driver="simulated"), SandboxCards(SEED, 240))
    assert isinstance(reader, SimulatedReader)
    return reader


def test_events_arrive_from_a_device_thread_after_insert_and_remove() -> None:
    reader = _reader()
    events: list[tuple[CardEvent, str]] = []
    reader.subscribe(lambda event: events.append((event, threading.current_thread().name)))
    reader.insert("nhi", reader.sample_citizen())
    assert not events  # like pcscd's polling, the event is not instantaneous
    assert wait_for(lambda: len(events) == 1)
    reader.remove()
    assert wait_for(lambda: len(events) == 2)
    (inserted, thread), (removed, _) = events
    assert inserted.kind == "card_inserted" and inserted.card_type == "nhi"
    assert removed.kind == "card_removed" and removed.card_type == "nhi"
    assert thread != threading.main_thread().name


def test_events_arrive_in_the_order_they_happened_however_fast_the_card_goes_in_and_out() -> None:
    # one thread per event once let a busy machine deliver a removal before the insertion before it: the
    # kiosk then thought a card still in the reader was out
    reader = SimulatedReader(ReaderSettings(driver="simulated"), SandboxCards(SEED, 240), Timing(event_delay_s=0.001))
    kinds: list[str] = []
    reader.subscribe(lambda event: kinds.append(event.kind))
    for _ in range(200):
        reader.insert("nhi", reader.sample_citizen())
        reader.remove()
    assert wait_for(lambda: len(kinds) == 400)
    assert kinds == ["card_inserted", "card_removed"] * 200


def test_a_listener_that_fails_does_not_silence_the_reader_for_the_others() -> None:
    reader = _reader()
    heard: list[str] = []

    def broken(event: CardEvent) -> None:
        raise RuntimeError("a listener's own fault")

    reader.subscribe(broken)
    reader.subscribe(lambda event: heard.append(event.kind))
    reader.insert("nhi", reader.sample_citizen())
    reader.remove()
    assert wait_for(lambda: heard == ["card_inserted", "card_removed"])


def test_closing_the_reader_ends_its_event_thread_and_a_reopened_one_still_delivers() -> None:
    def deliverers() -> int:
        return sum(thread.name == "simulated-reader-events" for thread in threading.enumerate())

    before = deliverers()
    reader = _reader()
    heard: list[str] = []
    reader.subscribe(lambda event: heard.append(event.kind))
    reader.insert("nhi", reader.sample_citizen())
    assert wait_for(lambda: heard == ["card_inserted"]) and deliverers() == before + 1
    reader.close()
    assert wait_for(lambda: deliverers() == before)
    reader.subscribe(lambda event: heard.append(event.kind))
    reader.remove()
    assert wait_for(lambda: heard == ["card_inserted", "card_removed"])


def test_reading_without_a_card_or_with_the_wrong_card_is_a_typed_error() -> None:
    reader = _reader()
    with pytest.raises(NoCard):
        reader.read_nhi()
    reader.insert("moica", reader.sample_citizen())
    with pytest.raises(UnknownCard):
        reader.read_nhi()


def test_nhi_card_holds_the_sandbox_citizen() -> None:
    reader = _reader()
    citizen = reader.sample_citizen()
    reader.insert("nhi", citizen)
    assert reader.readers()[0].card_type == "nhi"
    card = reader.read_nhi()
    assert card.national_id.reveal() == citizen
    assert citizen not in repr(card)


def test_card_pulled_during_the_read_is_reported_as_removed() -> None:
    reader = _reader()
    reader.insert("nhi", reader.sample_citizen())
    threading.Timer(0.05, reader.remove).start()
    with pytest.raises(CardRemoved):
        reader.read_nhi()


def test_wrong_pins_count_down_then_lock_even_the_right_pin() -> None:
    reader = _reader()
    reader.insert("moica", reader.sample_citizen(), pin="246810")
    for left in range(MOICA_TRIES - 1, 0, -1):
        pin = Personal("000000")
        with pytest.raises(PinWrong) as raised:
            reader.moica_sign(pin, b"challenge")
        assert raised.value.tries_left == left and pin.wiped
        assert f"{left}" in raised.value.message("zh-TW")
    with pytest.raises(PinLocked):
        reader.moica_sign(Personal("000000"), b"challenge")
    with pytest.raises(PinLocked):
        reader.moica_sign(Personal("246810"), b"challenge")


def test_right_pin_signs_a_challenge_the_sandbox_ca_accepts() -> None:
    reader = _reader()
    citizen = reader.sample_citizen()
    reader.insert("moica", citizen)
    with pytest.raises(PinWrong):
        reader.moica_sign(Personal("000000"), b"c")
    pin = Personal("123456")
    signed = reader.moica_sign(pin, b"broker-challenge")
    assert pin.wiped
    assert verify_citizen_signature(SEED, signed.certificate_der, b"broker-challenge", signed.signature_der) == citizen
    with pytest.raises(PinWrong) as raised:  # a successful login resets the counter, as cards do
        reader.moica_sign(Personal("000000"), b"c")
    assert raised.value.tries_left == MOICA_TRIES - 1
