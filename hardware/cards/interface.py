"""Card readers: reader/card events, the NHI card, the MOICA citizen-certificate card, the chip bank card."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

from counter_core.errors import CounterError
from counter_core.personal import Personal
from hardware.health import DeviceHealth

CardType = Literal["nhi", "moica", "bank", "unknown"]
EventKind = Literal["reader_added", "reader_removed", "card_inserted", "card_removed"]


@dataclass(frozen=True)
class CardEvent:
    kind: EventKind
    reader: str
    card_type: CardType | None = None  # for card_removed: the type of the card that was taken out


@dataclass(frozen=True)
class ReaderInfo:
    name: str
    card_present: bool
    card_type: CardType | None
    atr: str  # hex


@dataclass(frozen=True)
class NhiCard:
    card_number: Personal[str] = field(repr=False)
    name: Personal[str] = field(repr=False)
    national_id: Personal[str] = field(repr=False)
    birth_date: Personal[date] = field(repr=False)
    sex: str = field(repr=False)
    issue_date: date | None = field(repr=False)


@dataclass(frozen=True)
class MoicaSignature:
    certificate_der: bytes = field(repr=False)
    signature_der: bytes = field(repr=False)


@dataclass(frozen=True)
class BankCardSignature:
    """What a chip bank card (晶片金融卡) gives the verification centre: its certificate and its signature over the
    broker's challenge. The certificate names the card's account, not the holder."""

    certificate_der: bytes = field(repr=False)
    signature_der: bytes = field(repr=False)


class CardError(CounterError):
    key = "card.error"


class CardServiceDown(CardError):
    key = "card.service_down"


class NoReader(CardError):
    key = "card.no_reader"


class NoCard(CardError):
    key = "card.no_card"


class UnknownCard(CardError):
    key = "card.unknown"


class CardRemoved(CardError):
    key = "card.removed"


class ReaderUnplugged(CardError):
    key = "card.reader_unplugged"


class PinWrong(CardError):
    key = "card.pin_wrong"

    @property
    def tries_left(self) -> int | None:
        value = self.params.get("tries_left")
        return int(value) if isinstance(value, int) else None


class PinLocked(CardError):
    key = "card.pin_locked"


Listener = Callable[[CardEvent], None]


class CardReader(Protocol):
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` (from a device thread) on every event; returns the unsubscribe function."""

    def readers(self) -> list[ReaderInfo]: ...

    def read_nhi(self) -> NhiCard: ...

    def moica_sign(self, pin: Personal[str], challenge: bytes) -> MoicaSignature:
        """Log in with ``pin`` (wiped afterwards), return the certificate and the signature."""

    def bank_card_sign(self, pin: Personal[str], challenge: bytes) -> BankCardSignature:
        """The chip bank card in the reader checks ``pin`` (wiped afterwards) and signs ``challenge``. Raises
        ``PinWrong`` (tries left), ``PinLocked``, ``UnknownCard`` (not a bank card), ``NoCard``, ``CardRemoved``,
        ``CardError`` (the card answered nonsense). How the card is spoken to is the driver's business: today our
        stand-in APDUs (``hardware/cards/bank_card.py``, docs/bank-card.md), tomorrow a vendor's module."""

    def health(self) -> DeviceHealth: ...

    def close(self) -> None: ...
