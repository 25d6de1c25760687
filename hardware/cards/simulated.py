"""An in-process card reader that behaves like one: a card is inserted or removed (events ~0.4 s later,
as pcscd polls), reading takes time, the MOICA card and the chip bank card count wrong PINs (3 tries, then
locked), and a fault can be planted for the next card operation (a dying chip, a reader pulled out).

What a card holds comes from an injected ``CardSource`` (the demo wires the sandbox's citizens and CA, so
the broker still verifies the chain); the simulator stands in for the card at the device boundary and
knows nothing of where its cards come from.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from counter_core.personal import Personal
from counter_core.settings import ReaderSettings
from hardware.cards.bank_card import ATR as BANK_ATR
from hardware.cards.bank_card import PIN_TRIES as BANK_CARD_TRIES
from hardware.cards.bank_card import pin_block
from hardware.cards.interface import (
    BankCardSignature,
    CardError,
    CardEvent,
    CardRemoved,
    CardType,
    Listener,
    MoicaSignature,
    NhiCard,
    NoCard,
    NoReader,
    PinLocked,
    PinWrong,
    ReaderInfo,
    UnknownCard,
)
from hardware.health import DeviceHealth

READER_NAME = "Simulated CCID Reader 00 00"
EVENT_DELAY_S = 0.4
READ_TIME_S = 0.15
SIGN_TIME_S = 0.6
MOICA_TRIES = 3
DEFAULT_PIN = "123456"


@dataclass(frozen=True)
class MoicaCredentials:
    """What a citizen-certificate card holds: its certificate and the private-key operation on its chip."""

    certificate_der: bytes = field(repr=False)
    sign: Callable[[bytes], bytes] = field(repr=False)  # the challenge → DER ECDSA-SHA256 signature


@dataclass(frozen=True)
class BankCardCredentials:
    """What a chip bank card holds: its certificate (naming its account) and its chip's signature."""

    certificate_der: bytes = field(repr=False)
    sign: Callable[[bytes], bytes] = field(repr=False)  # the challenge → DER ECDSA-SHA256 signature


class CardSource(Protocol):
    """Where the simulated reader's cards come from, by the holder's national ID."""

    def nhi_card(self, national_id: str) -> NhiCard | None: ...

    def moica_credentials(self, national_id: str) -> MoicaCredentials | None: ...

    def bank_card_credentials(self, national_id: str) -> BankCardCredentials | None: ...

    def sample_national_id(self) -> str:
        """A holder whose cards the source has (the demo panel offers it); "" when there is none."""


class NoCards:
    """The source when nothing is wired: every card inserted is one the reader cannot read."""

    def nhi_card(self, national_id: str) -> NhiCard | None:
        return None

    def moica_credentials(self, national_id: str) -> MoicaCredentials | None:
        return None

    def bank_card_credentials(self, national_id: str) -> BankCardCredentials | None:
        return None

    def sample_national_id(self) -> str:
        return ""


@dataclass(frozen=True)
class Timing:
    """How long the device takes; tests of the flows above the reader may shorten it."""

    event_delay_s: float = EVENT_DELAY_S
    read_s: float = READ_TIME_S
    sign_s: float = SIGN_TIME_S


@dataclass
class _Card:
    card_type: CardType
    national_id: str
    pin: str = DEFAULT_PIN
    tries_left: int = MOICA_TRIES


_log = logging.getLogger(__name__)


class SimulatedReader:
    def __init__(self, settings: ReaderSettings, cards: CardSource | None = None, timing: Timing = Timing()) -> None:
        self.settings = settings
        self.cards: CardSource = cards or NoCards()
        self.timing = timing
        self._card: _Card | None = None
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._fault: CardError | None = None
        self._plugged = True
        # events reach listeners in the order they happened, each EVENT_DELAY_S after it, as a reader's own
        # status changes do: one thread per event let a busy machine deliver a removal before an earlier insertion
        # (None: the reader was closed, the deliverer ends)
        self._events: queue.SimpleQueue[tuple[float, CardEvent] | None] = queue.SimpleQueue()
        self._deliverer: threading.Thread | None = None

    def sample_citizen(self) -> str:
        """A national ID whose cards this simulator can play (shown in the demo panel)."""
        return self.cards.sample_national_id()

    # -- what a person does at the reader ---------------------------------------------------------
    def insert(self, card_type: CardType, national_id: str, pin: str = DEFAULT_PIN) -> None:
        tries = BANK_CARD_TRIES if card_type == "bank" else MOICA_TRIES
        with self._lock:
            self._card = _Card(card_type, national_id.upper(), pin, tries)
        self._emit(CardEvent("card_inserted", READER_NAME, card_type))

    def unplug(self) -> None:
        """The reader's cable pulled out: a card in it is gone with it, health fails until ``plug_in``."""
        with self._lock:
            self._plugged, card = False, self._card
            self._card = None
        if card is not None:
            self._emit(CardEvent("card_removed", READER_NAME, card.card_type))
        self._emit(CardEvent("reader_removed", READER_NAME))

    def plug_in(self) -> None:
        with self._lock:
            self._plugged = True
        self._emit(CardEvent("reader_added", READER_NAME))

    def plant_fault(self, fault: CardError | None) -> None:
        """The next card operation fails with ``fault`` (once): a chip that answers nonsense, a reader pulled out
        mid-exchange. What a device does that a test cannot make a healthy one do."""
        self._fault = fault

    def _planted(self) -> None:
        fault, self._fault = self._fault, None
        if fault is not None:
            raise fault

    def remove(self) -> None:
        with self._lock:
            removed, self._card = self._card, None
        self._emit(CardEvent("card_removed", READER_NAME, removed.card_type if removed else None))

    def _emit(self, event: CardEvent) -> None:
        with self._lock:
            self._events.put((time.monotonic() + self.timing.event_delay_s, event))
            if self._deliverer is None:
                self._deliverer = threading.Thread(
                    target=self._deliver, args=(self._events,), name="simulated-reader-events", daemon=True
                )
                self._deliverer.start()

    def _deliver(self, events: queue.SimpleQueue[tuple[float, CardEvent] | None]) -> None:
        while (item := events.get()) is not None:
            due, event = item
            time.sleep(max(0.0, due - time.monotonic()))
            for listener in list(self._listeners):
                try:
                    listener(event)
                except Exception:  # one listener's fault must not silence the reader for the others
                    _log.exception("a card event listener failed on %s", event.kind)

    # -- the interface ---------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def readers(self) -> list[ReaderInfo]:
        card = self._card
        if not self._plugged:
            return []
        return [
            ReaderInfo(
                READER_NAME,
                card is not None,
                card.card_type if card else None,
                _atr(card.card_type) if card else "",
            )
        ]

    def _present(self) -> _Card:
        card = self._card
        if not self._plugged:
            raise NoReader()
        if card is None:
            raise NoCard()
        return card

    def read_nhi(self) -> NhiCard:
        card = self._present()
        self._planted()
        if card.card_type != "nhi":
            raise UnknownCard()
        time.sleep(self.timing.read_s)
        if self._card is not card:
            raise CardRemoved()
        held = self.cards.nhi_card(card.national_id)
        if held is None:
            raise UnknownCard()
        return held

    def moica_sign(self, pin: Personal[str], challenge: bytes) -> MoicaSignature:
        try:
            card = self._present()
            self._planted()
            if card.card_type != "moica":
                raise UnknownCard()
            if card.tries_left <= 0:
                raise PinLocked()
            time.sleep(self.timing.sign_s)
            if pin.reveal() != card.pin:
                card.tries_left -= 1
                if card.tries_left <= 0:
                    raise PinLocked()
                raise PinWrong(tries_left=card.tries_left)
            card.tries_left = MOICA_TRIES
            credentials = self.cards.moica_credentials(card.national_id)
            if credentials is None:
                raise UnknownCard()
            return MoicaSignature(credentials.certificate_der, credentials.sign(challenge))
        finally:
            pin.wipe()

    def bank_card_sign(self, pin: Personal[str], challenge: bytes) -> BankCardSignature:
        """As the card does it (``bank_card.py``): a PIN that is not 6-12 digits never reaches the card, a fault
        costs no try, a wrong PIN counts down to a lock no right PIN opens, a card pulled mid-signature is said."""
        try:
            block = pin_block(pin.reveal())  # the format check the driver makes before the card sees anything
            block[:] = bytes(len(block))
            card = self._present()
            self._planted()
            if card.card_type != "bank":
                raise UnknownCard("card.bank_card.wrong_card")
            if card.tries_left <= 0:
                raise PinLocked("card.bank_card.pin_locked")
            time.sleep(self.timing.sign_s)
            if self._card is not card:
                raise CardRemoved()
            if pin.reveal() != card.pin:
                card.tries_left -= 1
                if card.tries_left <= 0:
                    raise PinLocked("card.bank_card.pin_locked")
                raise PinWrong("card.bank_card.pin_wrong", tries_left=card.tries_left)
            card.tries_left = BANK_CARD_TRIES
            credentials = self.cards.bank_card_credentials(card.national_id)
            if credentials is None:  # a card no issuer the source knows made: the verification centre decides
                raise UnknownCard("card.bank_card.wrong_card")
            return BankCardSignature(credentials.certificate_der, credentials.sign(challenge))
        finally:
            pin.wipe()

    def health(self) -> DeviceHealth:
        if not self._plugged:
            return DeviceHealth("reader", "simulated", "fail", "card.no_reader", READER_NAME)
        return DeviceHealth("reader", "simulated", "ok", "card.reader_ready", READER_NAME)

    def close(self) -> None:
        self._listeners.clear()
        with self._lock:  # the deliverer ends; a reader used again after closing starts a new one, its own queue
            if self._deliverer is not None:
                self._events.put(None)
                self._events, self._deliverer = queue.SimpleQueue(), None


def _atr(card_type: CardType) -> str:
    if card_type == "bank":
        return BANK_ATR.hex(" ").upper()
    return "3B DF 18 00 81 31 FE 7D 00 6B 15 0C 01 81 01 11 01 43 4E 53 10 31 80 E8"
