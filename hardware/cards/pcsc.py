"""Real card readers through pcscd (pyscard): reader and card events, the NHI card, MOICA via PKCS#11.

pyscard's monitors notify observers from their own threads. If pcscd stops, their threads die and do not
come back when it returns, so a supervisor checks pcscd every 2 s and rebuilds the monitors after a
restart.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from smartcard.CardMonitoring import CardMonitor, CardObserver
from smartcard.Exceptions import CardConnectionException, NoCardException
from smartcard.pcsc.PCSCExceptions import BaseSCardException
from smartcard.ReaderMonitoring import ReaderMonitor, ReaderObserver
from smartcard.System import readers as system_readers

from hardware.cards.interface import (
    CardEvent,
    CardRemoved,
    CardServiceDown,
    CardType,
    Listener,
    MoicaSignature,
    NhiCard,
    NoCard,
    NoReader,
    ReaderInfo,
    ReaderUnplugged,
    UnknownCard,
)
from hardware.cards.moica_pkcs11 import sign_with_token
from hardware.cards.nhi_card import OK, READ_BASIC, SELECT_NHI, parse_basic_data
from hardware.health import DeviceHealth
from mydata_counter.personal import Personal
from mydata_counter.settings import ReaderSettings

log = logging.getLogger(__name__)
SUPERVISE_EVERY_S = 2.0


def _readers(name_filter: str) -> list[Any]:
    try:
        found = system_readers()
    except BaseSCardException as exc:  # EstablishContextException: pcscd is not running
        raise CardServiceDown() from exc
    except Exception as exc:  # pyscard raises plain errors for some service failures
        if "0x8010001D" in str(exc) or "Service not available" in str(exc):
            raise CardServiceDown() from exc
        raise
    return [r for r in found if name_filter in str(r)]


def _transmit(connection: Any, apdu: bytes) -> tuple[bytes, bytes]:
    data, sw1, sw2 = connection.transmit(list(apdu))
    return bytes(data), bytes([sw1, sw2])


# MOICA cards (HiCOS, made for 內政部憑證管理中心) carry "CNS" in their ATR's historical bytes.
MOICA_ATR_MARK = b"CNS"


def _card_type(connection: Any) -> CardType:
    if MOICA_ATR_MARK in bytes(connection.getATR()):
        return "moica"
    _, status = _transmit(connection, SELECT_NHI)
    return "nhi" if status == OK else "unknown"


class PcscReader:
    def __init__(self, settings: ReaderSettings) -> None:
        self.settings = settings
        self._listeners: list[Listener] = []
        self._inserted: dict[str, CardType] = {}
        self._monitors: tuple[Any, Any, Any, Any] | None = None
        self._supervisor: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    # -- events ----------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        if self._supervisor is None:
            self._supervisor = threading.Thread(target=self._supervise, daemon=True, name="pcsc-supervisor")
            self._supervisor.start()
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, event: CardEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    def _supervise(self) -> None:
        healthy = False
        while not self._stop.is_set():
            try:
                _readers("")
                alive = True
            except CardServiceDown:
                alive = False
            if alive and not healthy:
                self._start_monitors()
            if not alive and healthy:
                log.warning("card reader: pcscd went away; waiting for it")
                self._stop_monitors()
            healthy = alive
            self._stop.wait(SUPERVISE_EVERY_S)

    def _start_monitors(self) -> None:
        reader = self

        class Cards(CardObserver):  # type: ignore[misc]
            def update(self, _observable: Any, actions: tuple[list[Any], list[Any]]) -> None:
                added, removed = actions
                for card in added:  # typing the card talks to it: never on the monitor's own thread
                    threading.Thread(target=reader._announce, args=(card,), daemon=True).start()
                for card in removed:
                    kind = reader._inserted.pop(str(card.reader), None)
                    reader._emit(CardEvent("card_removed", str(card.reader), kind))

        class Readers(ReaderObserver):  # type: ignore[misc]
            def update(self, _observable: Any, actions: tuple[list[Any], list[Any]]) -> None:
                added, removed = actions
                for name in added:
                    reader._emit(CardEvent("reader_added", str(name)))
                for name in removed:
                    reader._emit(CardEvent("reader_removed", str(name)))

        cards, readers = CardMonitor(), ReaderMonitor()
        card_observer, reader_observer = Cards(), Readers()
        cards.addObserver(card_observer)
        readers.addObserver(reader_observer)
        with self._lock:
            self._monitors = (cards, card_observer, readers, reader_observer)

    def _stop_monitors(self) -> None:
        with self._lock:
            monitors, self._monitors = self._monitors, None
        if monitors:
            cards, card_observer, readers, reader_observer = monitors
            for monitor, observer in ((cards, card_observer), (readers, reader_observer)):
                try:
                    monitor.deleteObserver(observer)
                except Exception:  # the monitor's thread may already be dead with pcscd
                    log.debug("card reader: monitor already stopped")

    def _announce(self, card: Any) -> None:
        kind = self._type_of(card)
        self._inserted[str(card.reader)] = kind  # so its removal can say which card left
        self._emit(CardEvent("card_inserted", str(card.reader), kind))

    def _type_of(self, card: Any) -> CardType:
        try:
            connection = card.createConnection()
            connection.connect()
            try:
                return _card_type(connection)
            finally:
                connection.disconnect()
        except Exception:
            return "unknown"

    # -- reading ---------------------------------------------------------------------------------
    def readers(self) -> list[ReaderInfo]:
        result = []
        for reader in _readers(self.settings.reader_name):
            connection = reader.createConnection()
            try:
                connection.connect()
            except (NoCardException, CardConnectionException):
                result.append(ReaderInfo(str(reader), False, None, ""))
                continue
            try:
                atr = bytes(connection.getATR()).hex(" ").upper()
                result.append(ReaderInfo(str(reader), True, _card_type(connection), atr))
            finally:
                connection.disconnect()
        return result

    def _connect(self) -> Any:
        found = _readers(self.settings.reader_name)
        if not found:
            raise NoReader()
        for reader in found:
            connection = reader.createConnection()
            try:
                connection.connect()
                return connection
            except (NoCardException, CardConnectionException):
                continue
        raise NoCard()

    def read_nhi(self) -> NhiCard:
        connection = self._connect()
        try:
            _, status = _transmit(connection, SELECT_NHI)
            if status != OK:
                raise UnknownCard()
            data, status = _transmit(connection, READ_BASIC)
            if status != OK:
                raise UnknownCard()
            return parse_basic_data(data)
        except CardConnectionException as exc:
            text = str(exc)
            if "0x80100069" in text or "removed" in text.lower():
                raise CardRemoved() from exc
            if "0x80100009" in text or "unknown reader" in text.lower():
                raise ReaderUnplugged() from exc
            raise CardRemoved() from exc
        finally:
            try:
                connection.disconnect()
            except Exception:
                log.debug("card reader: disconnect after an error")

    def moica_sign(self, pin: Personal[str], challenge: bytes) -> MoicaSignature:
        return sign_with_token(self.settings.pkcs11_module, pin, challenge)

    def health(self) -> DeviceHealth:
        try:
            found = _readers(self.settings.reader_name)
        except CardServiceDown:
            return DeviceHealth("reader", "real", "fail", "card.service_down", "pcscd")
        if not found:
            return DeviceHealth("reader", "real", "fail", "card.no_reader", self.settings.reader_name)
        return DeviceHealth("reader", "real", "ok", "card.reader_ready", ", ".join(str(r) for r in found))

    def close(self) -> None:
        self._stop.set()
        self._stop_monitors()
