"""An in-process card reader that behaves like one: a card is inserted or removed (events ~0.4 s later,
as pcscd polls), reading takes time, the MOICA card counts wrong PINs (3 tries, then locked).

Cards hold sandbox citizens: the MOICA card's key and certificate are the sandbox CA's for that citizen
(the simulator stands in for the card at the device boundary; the broker still verifies the chain).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.serialization import Encoding

from counter_core.personal import Personal
from counter_core.settings import ReaderSettings
from hardware.cards.interface import (
    CardEvent,
    CardType,
    Listener,
    MoicaSignature,
    NhiCard,
    NoCard,
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


@dataclass
class _Card:
    card_type: CardType
    national_id: str
    seed: int
    citizens: int
    pin: str = DEFAULT_PIN
    tries_left: int = MOICA_TRIES


class SimulatedReader:
    def __init__(self, settings: ReaderSettings, seed: int = 20261124, citizens: int = 240) -> None:
        self.settings = settings
        self.seed = seed
        self.citizens = citizens
        self._card: _Card | None = None
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def sample_citizen(self) -> str:
        """A national ID whose cards this simulator can play (shown in the demo panel)."""
        from broker_sandbox.citizens import generate_citizens

        return generate_citizens(self.seed, self.citizens)[0].national_id

    # -- what a person does at the reader ---------------------------------------------------------
    def insert(self, card_type: CardType, national_id: str, pin: str = DEFAULT_PIN) -> None:
        with self._lock:
            self._card = _Card(card_type, national_id.upper(), self.seed, self.citizens, pin)
        self._emit(CardEvent("card_inserted", READER_NAME, card_type))

    def remove(self) -> None:
        with self._lock:
            removed, self._card = self._card, None
        self._emit(CardEvent("card_removed", READER_NAME, removed.card_type if removed else None))

    def _emit(self, event: CardEvent) -> None:
        def later() -> None:
            time.sleep(EVENT_DELAY_S)
            for listener in list(self._listeners):
                listener(event)

        threading.Thread(target=later, daemon=True).start()

    # -- the interface ---------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def readers(self) -> list[ReaderInfo]:
        card = self._card
        return [
            ReaderInfo(
                READER_NAME,
                card is not None,
                card.card_type if card else None,
                "3B DF 18 00 81 31 FE 7D 00 6B 15 0C 01 81 01 11 01 43 4E 53 10 31 80 E8" if card else "",
            )
        ]

    def _present(self) -> _Card:
        card = self._card
        if card is None:
            raise NoCard()
        return card

    def read_nhi(self) -> NhiCard:
        from broker_sandbox.citizens import find_citizen

        card = self._present()
        if card.card_type != "nhi":
            raise UnknownCard()
        time.sleep(READ_TIME_S)
        if self._card is not card:
            from hardware.cards.interface import CardRemoved

            raise CardRemoved()
        citizen = find_citizen(card.seed, card.citizens, card.national_id)
        if citizen is None:
            raise UnknownCard()
        return NhiCard(
            Personal(citizen.nhi_card_number, "NHI card number"),
            Personal(citizen.name, "name"),
            Personal(citizen.national_id, "national ID"),
            Personal(citizen.birth_date, "birth date"),
            citizen.sex,
            None,
        )

    def moica_sign(self, pin: Personal[str], challenge: bytes) -> MoicaSignature:
        from broker_sandbox.ca import citizen_credentials, sign_challenge

        try:
            card = self._present()
            if card.card_type != "moica":
                raise UnknownCard()
            if card.tries_left <= 0:
                raise PinLocked()
            time.sleep(SIGN_TIME_S)
            if pin.reveal() != card.pin:
                card.tries_left -= 1
                if card.tries_left <= 0:
                    raise PinLocked()
                raise PinWrong(tries_left=card.tries_left)
            card.tries_left = MOICA_TRIES
            key, certificate = citizen_credentials(card.seed, card.national_id)
            return MoicaSignature(certificate.public_bytes(Encoding.DER), sign_challenge(key, challenge))
        finally:
            pin.wipe()

    def health(self) -> DeviceHealth:
        return DeviceHealth("reader", "simulated", "ok", "card.reader_ready", READER_NAME)

    def close(self) -> None:
        self._listeners.clear()
