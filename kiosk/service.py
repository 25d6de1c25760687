"""The citizen's journey at the kiosk as a plain class, with no HTTP in it: service choice, consent, the
identity methods, the code and its receipt, cancel and the idle wipe.

The web layer (``kiosk.api``) only turns requests into calls and errors into JSON. ``KioskService`` owns its
background threads (the idle sweeper, the push watchers) and stops them in ``close()``; it tells the pages
what happened through an injected event sink, naming the session each event concerns.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from broker_client import BrokerClient, errors
from broker_client.models import Catalogue, IssuedCode, TermsShown
from counter_core.datacode import code_from_symbol
from counter_core.errors import CounterError
from counter_core.events import EventSink
from counter_core.i18n import DEFAULT_LANGUAGE, languages, page_languages
from counter_core.identity import METHOD_IDS, METHODS, method
from counter_core.limits import AttemptLimiter
from counter_core.metrics import PRINTER_FAULTS, RECEIPTS
from counter_core.settings import KioskSettings
from hardware.cards.interface import CardError, CardEvent
from hardware.printer.interface import PrinterError
from hardware.printer.receipt import Receipt, sample_receipt
from kiosk.citizen import CitizenSteps
from kiosk.devices import KioskDevices
from kiosk.help import HelpCall, HelpDesk
from kiosk.identity import IdentitySteps
from kiosk.sessions import KioskSession, SessionStore
from kiosk.speech import Speech

log = logging.getLogger(__name__)
SWEEP_EVERY_S = 2.0
PUSH_POLL_S = 0.5
CATALOGUE_TTL_S = 300.0
SPEECH_PER_MINUTE = 120
SCREENS = ("welcome", "takecard", "services", "terms", "identity", "contact", "records", "print", "done")
TERMS_SHOWN = ("scrolled", "read_aloud")  # how the page showed the terms to their end  # the page's, for help calls


@dataclass(frozen=True)
class PrintOutcome:
    """What the page shows after the print call: the code always (a failed print shows it on screen)."""

    code: str
    expires: str  # local HH:MM
    printed: bool
    error: CounterError | None = None


class KioskService:
    def __init__(
        self,
        settings: KioskSettings,
        devices: KioskDevices,
        broker: BrokerClient,
        events: EventSink,
        help_desk: HelpDesk | None = None,
    ) -> None:
        self.settings = settings
        self.devices = devices
        self.broker = broker
        self.events = events
        self.store = SessionStore(max_idle_s=settings.idle_warning_s + settings.idle_wipe_s + 5)
        self._catalogue: tuple[float, Catalogue] | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._unsubscribe = devices.reader.subscribe(self._on_card)
        self.identity = IdentitySteps(devices, broker, self.store, events, self._spawn, self._stop.wait)
        self.citizen = CitizenSteps(broker)
        self.speech = Speech()
        self.speech_limit = AttemptLimiter(SPEECH_PER_MINUTE, 60.0)
        self.help = help_desk or HelpDesk(settings.name, [], None)
        self._help_calls: dict[str, HelpCall] = {}

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the idle sweeper (the web app calls this once it is built)."""
        self._spawn(self._sweep_forever, "kiosk-sweeper")

    def close(self) -> None:
        """Stop the background threads and let go of the devices (gunicorn's worker exit, tests)."""
        self._stop.set()
        self._unsubscribe()
        for thread in self._threads:
            if thread.is_alive() and thread is not threading.current_thread():
                thread.join(timeout=3)
        self.devices.close()

    def _spawn(self, target: Any, name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name=name)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _sweep_forever(self) -> None:
        while not self._stop.wait(SWEEP_EVERY_S):
            for wiped in self.store.sweep():
                self._close_at_broker(wiped)
                self.events("wiped", {"reason": "kiosk.idle.wiped"}, to=wiped.id)

    def _on_card(self, event: CardEvent) -> None:
        """From the reader's thread: a card pulled at its own unfinished step means the citizen left; any
        removal clears the sessions still waiting for an earlier citizen's card to leave."""
        if event.kind == "card_inserted":
            for live in self.store.all():
                live.card_here = not live.card_left
        if event.kind == "card_removed":
            # Only a card inserted during the session, pulled at its own unfinished step, ends it: a late event
            # about a card from before (the previous citizen's) never does.
            left_step = lambda s: s.card_here and s.uses_card(event.card_type)  # noqa: E731
            for wiped in self.store.wipe_where(left_step):
                self._close_at_broker(wiped)
                self.events("wiped", {"reason": "card.removed"}, to=wiped.id)
            for live in self.store.all():  # the earlier citizen's card is out: this citizen's may go in
                live.card_left = live.card_here = False
        payload: dict[str, object] = {"kind": event.kind, "card_type": event.card_type}
        if event.kind in ("reader_added", "reader_removed"):  # the page pauses or offers again the card methods
            payload["reader_problem"] = self.reader_problem()
        self.events("card", payload)

    def reader_problem(self) -> str:
        """"" while the card reader works; else the key of what is wrong (``card.service_down``: pcscd is not
        running, ``card.no_reader``): the page then pauses the methods that need a card and offers the others."""
        health = self.devices.reader.health()
        return health.message_key if health.state == "fail" else ""

    # -- session, catalogue, consent -------------------------------------------------------------
    def start_session(self, previous_id: str | None, language: str) -> KioskSession:
        """A fresh session for the next citizen; the previous one on this page is wiped. A card already in the
        reader belongs to someone before: until it has been taken out, no card step reads it."""
        if previous_id:
            self.cancel(previous_id)
        fresh = self.store.create(language if language in languages() else DEFAULT_LANGUAGE)
        fresh.card_left = self.reader_card()["kind"] == "card_inserted"
        return fresh

    def reader_card(self) -> dict[str, object]:
        """The card in the reader now, as a card event (a page that starts a session learns what it missed
        while it had no room); a reader that cannot be asked counts as empty."""
        try:
            held = next((r for r in self.devices.reader.readers() if r.card_present), None)
        except CardError:
            held = None
        if held is None:
            return {"kind": "card_removed", "card_type": None}
        return {"kind": "card_inserted", "card_type": held.card_type}

    def session(self, session_id: str | None) -> KioskSession:
        found = self.store.get(session_id)
        if found is None:
            raise errors.SessionExpired()
        return found

    def catalogue(self) -> Catalogue:
        cached = self._catalogue
        if cached and time.monotonic() - cached[0] < CATALOGUE_TTL_S:
            return cached[1]
        fresh = self.broker.catalogue()
        self._catalogue = (time.monotonic(), fresh)
        return fresh

    def choose_service(self, state: KioskSession, service_id: str) -> None:
        started = self.broker.start_session(service_id)
        state.service_id, state.broker_session = service_id, started.session_id
        state.terms_version, state.dataset_ids = started.terms_version, started.dataset_ids
        state.code_ttl_s, state.view_window_s = started.code_ttl_s, started.view_window_s
        state.consented, state.identity = False, None
        cached = self._catalogue
        if cached and cached[1].terms_version != started.terms_version:  # new terms: the page fetches them again
            self._catalogue = None

    def consent(self, state: KioskSession, accepted: bool, terms_version: str = "", shown: str = "") -> None:
        """Consent to the terms the page showed (``terms_version``), shown to their end (``shown``: scrolled or
        read aloud), and to exactly the fields on screen; a newer version at the broker is refused, and the page
        shows the new one."""
        if not accepted:
            raise errors.ConsentRequired()
        if shown not in TERMS_SHOWN:
            raise CounterError("kiosk.terms.unread")
        catalogue = self.catalogue()
        service = catalogue.service(state.service_id)
        if service is None:
            raise errors.SessionExpired()
        fields = {
            dataset.id: [f.key for f in catalogue.released(service, dataset)]
            for dataset in (catalogue.dataset(i) for i in service.dataset_ids) if dataset is not None
        }  # fmt: skip
        version = terms_version or state.terms_version or self.settings.terms_version
        how: TermsShown = "read_aloud" if shown == "read_aloud" else "scrolled"
        try:
            self.broker.record_consent(
                state.broker_session, version, state.dataset_ids, released_fields=fields, terms_shown=how
            )
        except errors.ConsentMismatch:
            self._catalogue = None  # the terms changed: the page asks for the catalogue again and shows them
            raise
        state.consented = True

    def choose_method(self, state: KioskSession, method_id: str) -> None:
        """The method on screen now ("" = the list of methods). A method that needs a card is refused while the
        reader does not work (pcscd down, reader unplugged), with what to do instead."""
        info = method(method_id)
        if info is not None and info.card is not None and self.reader_problem():
            state.active_method = ""
            raise CounterError("kiosk.identity.reader_down_pick")
        state.active_method = method_id if method_id in METHOD_IDS else ""

    # -- code and receipt ------------------------------------------------------------------------
    def print_receipt(self, state: KioskSession, request_id: str = "") -> PrintOutcome:
        """Issue the code (once per session) and print it; a printer fault still shows the code.

        One call at a time per session, so concurrent calls can never issue two codes. ``request_id`` names the
        page's attempt: asked again with the same id (its answer was lost), the outcome is told again and
        nothing is printed twice; a new id (the citizen pressed "print again") prints again."""
        with state.print_lock:
            if request_id and request_id in state.prints:
                return cast(PrintOutcome, state.prints[request_id])
            if state.issued is None:
                state.issued = self._issue(state)
            outcome = self._print(state, state.issued)
            if request_id:
                state.prints = {**dict(list(state.prints.items())[-7:]), request_id: outcome}
            return outcome

    def _issue(self, state: KioskSession) -> IssuedCode:
        """The session's code. Its answer lost (``BrokerOutcomeUnknown``), it is asked once more: the broker
        answers a repeat with the same code, so this never makes a second one."""
        try:
            return self.broker.issue_code(state.broker_session)
        except errors.BrokerOutcomeUnknown:
            log.info("code issue unanswered; asking the broker again for the same session's code")
            return self.broker.issue_code(state.broker_session)

    def _print(self, state: KioskSession, issued: IssuedCode) -> PrintOutcome:
        local_expiry = issued.expires_at.astimezone()
        code, expires = issued.code, local_expiry.strftime("%H:%M")
        try:
            self.devices.printer.print_receipt(_receipt(issued, local_expiry, state.notice_to()))
        except PrinterError as error:
            PRINTER_FAULTS.labels(error.key.split(".")[-1]).inc()
            RECEIPTS.labels("failed").inc()
            return PrintOutcome(code, expires, False, error)
        RECEIPTS.labels("printed").inc()
        state.printed = True
        return PrintOutcome(code, expires, True)

    def receipt(self, state: KioskSession) -> PrintOutcome | None:
        """The code this session was given, for a page that lost the answer of its print call."""
        issued = state.issued
        if issued is None:
            return None
        return PrintOutcome(issued.code, issued.expires_at.astimezone().strftime("%H:%M"), state.printed)

    def cancel(self, session_id: str | None) -> None:
        """The citizen is done or gave up: wipe the session; close the broker's if no code was issued."""
        wiped = self.store.wipe(session_id) if session_id else None
        if wiped is not None:
            self._close_at_broker(wiped)

    def _close_at_broker(self, wiped: KioskSession) -> None:
        """A session wiped before its code was issued is closed at the broker too: a push still waiting on the
        citizen's phone dies with it (else the broker's own timeout closes it)."""
        if wiped.broker_session and wiped.issued is None:
            with contextlib.suppress(errors.BrokerError):
                self.broker.cancel_session(wiped.broker_session)

    # -- what the page and the technician need ---------------------------------------------------
    def page_config(self) -> dict[str, Any]:
        demo = self.devices.demo_reader
        return {
            "idleWarningS": self.settings.idle_warning_s,
            "idleWipeS": self.settings.idle_wipe_s,
            "doneReturnS": self.settings.done_return_s,
            "defaultLanguage": self.settings.default_language,
            "languages": page_languages(),
            "methods": [m.as_page() for m in METHODS],
            "audioKey": self.settings.audio_key,
            "homeAgencies": self.settings.home_agencies,
            "onlyHomeAgencies": self.settings.only_home_agencies,
            "simulatedReader": demo is not None,
            "demoCitizen": demo.sample_citizen() if demo is not None else "",
        }

    def speak(self, text: str, language: str, client: str = "") -> bytes:
        if self.speech_limit.blocked(client) is not None:  # rendering speech costs CPU: a flood waits
            raise CounterError("web.too_many")
        self.speech_limit.record(client)
        return self.speech.wav(text, language if language in languages() else DEFAULT_LANGUAGE)

    def call_help(self, session_id: str | None, screen: str) -> HelpCall:
        """Tell this counter's clerk stations that the citizen at this kiosk needs help, on which screen."""
        call = self.help.call(screen if screen in SCREENS else "unknown")
        self._help_calls = {**dict(list(self._help_calls.items())[-15:]), call.id: call}
        if session_id:  # help is coming: the session is kept while the citizen waits
            self.store.get(session_id)
        return call

    def help_state(self, call_id: str) -> str:
        call = self._help_calls.get(call_id)
        return self.help.answered(call) if call is not None else "unknown"

    def print_test(self) -> dict[str, object]:
        self.devices.printer.print_receipt(sample_receipt(datetime.now() + timedelta(minutes=10)))
        return {"printed": True}

    def list_readers(self) -> dict[str, object]:
        return {"readers": [r.__dict__ for r in self.devices.reader.readers()]}


def _receipt(issued: IssuedCode, local_expiry: datetime, notice_to: str = "") -> Receipt:
    """The receipt is bilingual whatever the screen's language: zh-TW and English, as the counter reads it."""
    return Receipt(
        issued.agency.get("zh-TW"),
        issued.agency.get("en"),
        issued.service.get("zh-TW"),
        issued.service.get("en"),
        issued.code,
        local_expiry,
        [d.get("zh-TW") for d in issued.dataset_names],
        [d.get("en") for d in issued.dataset_names],
        issued.support_line,
        notice_to=notice_to,
        qr_text=_qr_text(issued),
    )


def _qr_text(issued: IssuedCode) -> str:
    """The QR exactly as the broker issued it (signed ``MYDATA2:`` or unsigned ``MYDATA1:``), unless it does
    not carry the code printed beside it: then the unsigned QR of that code, so the two symbols never differ."""
    if code_from_symbol(issued.qr_payload, "QRCode") == issued.code:
        return issued.qr_payload
    log.warning("the broker's QR text does not carry the issued code; printing the unsigned QR")
    return ""
