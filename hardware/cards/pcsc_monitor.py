"""Reader and card changes seen through a PC/SC context of the driver's own.

pyscard's ``CardMonitor`` and ``ReaderMonitor`` are process-wide singletons: when pcscd goes away their
threads die, and asking for them again hands back the same dead threads, so no event ever arrives after
a pcscd restart. This thread owns its context instead; it ends when pcscd goes away (after reporting
the cards and readers as gone) and the driver's supervisor starts a new one when pcscd is back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from smartcard import scard

log = logging.getLogger(__name__)

WAIT_MS = 500  # also how often the reader list is refreshed: pcsc-lite has no portable reader event

Changes = Callable[[list[str], list[str]], None]  # (added, removed) reader names


class StatusMonitor(threading.Thread):
    def __init__(self, on_readers: Changes, on_cards: Changes) -> None:
        super().__init__(daemon=True, name="pcsc-monitor")
        self._on_readers = on_readers
        self._on_cards = on_cards
        self._stop_event = threading.Event()
        self._context: Any = None

    def run(self) -> None:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            return
        self._context = context
        readers: list[str] = []
        cards: set[str] = set()
        try:
            self._watch(context, readers, cards)
        finally:
            scard.SCardReleaseContext(context)
            if not self._stop_event.is_set():  # gone with pcscd: nobody may keep a session on these cards
                if cards:
                    self._on_cards([], sorted(cards))
                if readers:
                    self._on_readers([], readers)

    def _watch(self, context: Any, readers: list[str], cards: set[str]) -> None:
        states: dict[str, int] = {}
        while not self._stop_event.is_set():
            hresult, listed = scard.SCardListReaders(context, [])
            if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
                listed = []
            elif hresult != scard.SCARD_S_SUCCESS:
                log.warning("card reader: pcscd went away (%s)", scard.SCardGetErrorMessage(hresult))
                return
            added = [name for name in listed if name not in readers]
            removed = [name for name in readers if name not in listed]
            readers[:] = listed
            for name in removed:
                states.pop(name, None)
            if added or removed:
                self._on_readers(added, removed)
            gone = sorted(cards.intersection(removed))
            if gone:
                cards.difference_update(gone)
                self._on_cards([], gone)
            if not readers:
                self._stop_event.wait(WAIT_MS / 1000)
                continue
            query = [(name, states.get(name, scard.SCARD_STATE_UNAWARE)) for name in readers]
            hresult, changed = scard.SCardGetStatusChange(context, WAIT_MS, query)
            if hresult in (scard.SCARD_E_TIMEOUT, scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_CANCELLED):
                continue  # nothing new; a reader left between listing and waiting; or close()
            if hresult != scard.SCARD_S_SUCCESS:
                log.warning("card reader: pcscd went away (%s)", scard.SCardGetErrorMessage(hresult))
                return
            inserted, pulled = [], []
            for name, event_state, _atr in changed:
                before = states.get(name)
                states[name] = event_state & ~scard.SCARD_STATE_CHANGED
                present = bool(event_state & scard.SCARD_STATE_PRESENT)
                swapped = before is not None and (before >> 16) != (event_state >> 16)  # pcsc-lite's event count
                if present and name in cards and swapped:  # pulled and another put in within one wait
                    pulled.append(name)
                    inserted.append(name)
                elif present and name not in cards:
                    cards.add(name)
                    inserted.append(name)
                elif not present and name in cards:
                    cards.discard(name)
                    pulled.append(name)
            if inserted or pulled:
                self._on_cards(inserted, pulled)

    def stop(self) -> None:
        self._stop_event.set()
        if self._context is not None:
            scard.SCardCancel(self._context)  # wakes a waiting SCardGetStatusChange
