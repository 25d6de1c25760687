"""Real card readers through pcscd (pyscard): reader and card events, the NHI card, MOICA via PKCS#11, the chip
bank card over our stand-in APDUs (``bank_card.py``).

Events come from a monitor thread with its own PC/SC context (``pcsc_monitor``), not from pyscard's
singleton monitors, whose threads die with pcscd and never come back. The monitor ends when pcscd goes
away; a supervisor checks every 2 s and starts a new one once pcscd answers again, however quickly it
was restarted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from smartcard.Exceptions import CardConnectionException, NoCardException
from smartcard.pcsc.PCSCExceptions import BaseSCardException
from smartcard.scard import SCARD_LEAVE_CARD, SCARD_S_SUCCESS, SCardBeginTransaction, SCardEndTransaction
from smartcard.System import readers as system_readers

from counter_core.personal import Personal
from counter_core.settings import ReaderSettings
from hardware.cards import bank_card
from hardware.cards.interface import (
    BankCardSignature,
    CardError,
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
from hardware.cards.pcsc_monitor import StatusMonitor
from hardware.health import DeviceHealth

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


def _release(connection: Any) -> None:
    """Disconnect and give back the connection's own PC/SC context, now rather than in ``__del__``.

    pyscard releases the context in a destructor that raises when pcscd has gone away meanwhile (a
    restart mid-read); the context died with pcscd, so it is forgotten instead of raised at a random
    garbage collection.
    """
    try:
        connection.disconnect()
    except Exception:
        log.debug("card reader: disconnect after an error")
    try:
        connection.release()
    except Exception:
        log.debug("card reader: PC/SC context already gone with pcscd")
        connection.hcontext = None


@contextmanager
def _connected(reader: Any) -> Iterator[Any]:
    """A connection to the card in ``reader``, released on the way out whatever happened."""
    connection = reader.createConnection()
    try:
        connection.connect()
        yield connection
    finally:
        _release(connection)


def _transmit(connection: Any, apdu: bytes) -> tuple[bytes, bytes]:
    data, sw1, sw2 = connection.transmit(list(apdu))
    return bytes(data), bytes([sw1, sw2])


# MOICA cards (HiCOS, made for 內政部憑證管理中心) carry "CNS" in their ATR's historical bytes.
MOICA_ATR_MARK = b"CNS"


def _card_type(connection: Any) -> CardType:
    if MOICA_ATR_MARK in bytes(connection.getATR()):
        return "moica"
    _, status = _transmit(connection, SELECT_NHI)
    if status == OK:
        return "nhi"
    return "bank" if bank_card.is_bank_card(lambda apdu: _transmit(connection, apdu)) else "unknown"


def _connection_lost(exc: CardConnectionException) -> CardError:
    """What a PC/SC failure in the middle of an exchange means to the citizen."""
    text = str(exc)
    if "0x80100009" in text or "unknown reader" in text.lower():
        return ReaderUnplugged()
    return CardRemoved()


class PcscReader:
    def __init__(self, settings: ReaderSettings) -> None:
        self.settings = settings
        self._listeners: list[Listener] = []
        self._inserted: dict[str, CardType] = {}
        self._monitor: StatusMonitor | None = None
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
        announced_down = False
        while not self._stop.is_set():
            with self._lock:
                monitor = self._monitor
            if monitor is None or not monitor.is_alive():
                try:
                    _readers("")
                    alive = True
                except CardServiceDown:
                    alive = False
                if not alive and monitor is not None and not announced_down:
                    # pcscd went away: its readers with it (the kiosk pauses the card methods); once it is back the
                    # new monitor announces the readers again
                    announced_down = True
                    self._emit(CardEvent("reader_removed", ""))
                if alive:
                    announced_down = False
                if alive and not self._stop.is_set():
                    if monitor is not None:
                        log.warning("card reader: pcscd is back; watching the readers again")
                    self._start_monitor()
            self._stop.wait(SUPERVISE_EVERY_S)

    def _start_monitor(self) -> None:
        # Started under the lock, and never after close(): close() then finds either no monitor or a running one.
        with self._lock:
            if self._stop.is_set():
                return
            monitor = StatusMonitor(self._readers_changed, self._cards_changed)
            monitor.start()
            self._monitor = monitor

    def _readers_changed(self, added: list[str], removed: list[str]) -> None:
        for name in added:
            self._emit(CardEvent("reader_added", name))
        for name in removed:
            self._emit(CardEvent("reader_removed", name))

    def _cards_changed(self, added: list[str], removed: list[str]) -> None:
        for name in removed:
            kind = self._inserted.pop(name, None)
            self._emit(CardEvent("card_removed", name, kind))
        for name in added:  # typing the card talks to it: never on the monitor's own thread
            threading.Thread(target=self._announce, args=(name,), daemon=True).start()

    def _stop_monitor(self) -> None:
        with self._lock:
            monitor, self._monitor = self._monitor, None
        if monitor is not None:
            monitor.stop()
            monitor.join(timeout=5)

    def _announce(self, reader_name: str) -> None:
        kind = self._type_of(reader_name)
        self._inserted[reader_name] = kind  # so its removal can say which card left
        self._emit(CardEvent("card_inserted", reader_name, kind))

    def _type_of(self, reader_name: str) -> CardType:
        try:
            reader = next(r for r in _readers(reader_name) if str(r) == reader_name)
            with _connected(reader) as connection:
                return _card_type(connection)
        except Exception:
            return "unknown"

    # -- reading ---------------------------------------------------------------------------------
    def readers(self) -> list[ReaderInfo]:
        result = []
        for reader in _readers(self.settings.reader_name):
            try:
                with _connected(reader) as connection:
                    atr = bytes(connection.getATR()).hex(" ").upper()
                    result.append(ReaderInfo(str(reader), True, _card_type(connection), atr))
            except (NoCardException, CardConnectionException):
                result.append(ReaderInfo(str(reader), False, None, ""))
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
                _release(connection)
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
            _release(connection)

    def moica_sign(self, pin: Personal[str], challenge: bytes) -> MoicaSignature:
        return sign_with_token(self.settings.pkcs11_module, pin, challenge)

    def bank_card_sign(self, pin: Personal[str], challenge: bytes) -> BankCardSignature:
        """The stand-in APDUs inside one PC/SC transaction, so nothing else (the insert watcher typing a card)
        can select another application between VERIFY and the signature."""
        connection: Any = None
        try:
            connection = self._connect()
            handle = getattr(connection, "hcard", None)
            locked = handle is not None and SCardBeginTransaction(handle) == SCARD_S_SUCCESS
            try:
                return bank_card.sign_challenge(lambda apdu: _transmit(connection, apdu), pin, challenge)
            finally:
                if locked:
                    SCardEndTransaction(handle, SCARD_LEAVE_CARD)
        except CardConnectionException as exc:
            raise _connection_lost(exc) from exc
        finally:
            pin.wipe()
            if connection is not None:
                try:
                    connection.disconnect()
                except Exception:
                    log.debug("card reader: disconnect after a bank card exchange")

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
        self._stop_monitor()
        if self._supervisor is not None and self._supervisor is not threading.current_thread():
            self._supervisor.join(timeout=5)
