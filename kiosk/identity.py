"""Each identity method as the kiosk performs it: what the reader reads, what the citizen types, what the broker
checks. The rules every method obeys (which methods a service allows, first use, attempt limits) are the
broker's; the kiosk offers only what the service allows and never reads a card left by someone before.
Personal values pass through here on their way to the broker and are not kept."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import qrcode
from qrcode.image.svg import SvgPathImage

from broker_client import BrokerClient, errors
from broker_client.models import IdentityStatus, OtpSent, PushStarted, QrStarted
from counter_core.errors import CounterError
from counter_core.events import EventSink
from counter_core.i18n import every_language
from counter_core.metrics import CARD_ERRORS, IDENTITY_RESULTS, PUSH_WAIT_SECONDS
from counter_core.national_id import is_valid_national_id
from counter_core.personal import Personal
from hardware.cards.interface import CardError, PinLocked, PinWrong
from kiosk.devices import KioskDevices
from kiosk.sessions import KioskSession, SessionStore

PUSH_POLL_S = 0.5
PUSH_MESSAGES = {
    "denied": "broker.push.denied", "expired": "broker.push.expired", "wrong_number": "broker.push.wrong_number",
}  # fmt: skip


class IdentitySteps:
    def __init__(
        self,
        devices: KioskDevices,
        broker: BrokerClient,
        store: SessionStore,
        events: EventSink,
        spawn: Callable[..., None],
        stopped: Callable[[float], bool],
    ) -> None:
        self.devices = devices
        self.broker = broker
        self.store = store
        self.events = events
        self._spawn = spawn
        self._stopped = stopped  # waits up to the given seconds; True once the service is closing

    def _passed(self, state: KioskSession, method: str, status: IdentityStatus) -> None:
        state.identity = status
        IDENTITY_RESULTS.labels(method, "ok").inc()

    def _card(self, state: KioskSession) -> None:
        """The card in the reader is this citizen's: one left by someone before is never read."""
        if state.card_left:
            CARD_ERRORS.labels("card.remove_first").inc()
            raise CardError("card.remove_first")

    def _read_nhi_number(self, state: KioskSession) -> str:
        try:
            self._card(state)
            return self.devices.reader.read_nhi().card_number.reveal()
        except CardError as error:
            CARD_ERRORS.labels(error.key).inc()
            raise

    # -- cards -----------------------------------------------------------------------------------
    def moica(self, state: KioskSession, pin: Personal[str]) -> None:
        """Sign the broker's challenge with the citizen-certificate card; the PIN goes only to the card."""
        with _spending(pin, "moica", "card.pin_last_try"):
            self._card(state)
            challenge = self.broker.moica_challenge(state.broker_session)
            signed = self.devices.reader.moica_sign(pin, challenge)
        status = self.broker.moica_verify(state.broker_session, signed.certificate_der, signed.signature_der)
        self._passed(state, "moica", status)

    def nhi_household(self, state: KioskSession, household_number: str, card_number: str = "") -> None:
        """NHI card number (typed, or read from the card in the reader) + household number."""
        card_number = card_number or self._read_nhi_number(state)
        status = self.broker.nhi_household(state.broker_session, card_number, household_number)
        self._passed(state, "nhi_household", status)

    def nhi_card(self, state: KioskSession, password: Personal[str]) -> None:
        """健保卡 in the reader + its network-service password (checked by the broker, never kept here)."""
        try:
            card_number = self._read_nhi_number(state)
            status = self.broker.nhi_card(state.broker_session, card_number, password.reveal())
        finally:
            password.wipe()
        self._passed(state, "nhi_card", status)

    def bank_card(self, state: KioskSession, national_id: str, pin: Personal[str]) -> None:
        """晶片金融卡: the card checks its own PIN and signs the broker's challenge; the verification centre checks
        the card and that its account is the citizen's (the ID typed, or the one the first method proved). The
        ID is checked and the PIN's form too before the card or the broker hears of either."""
        with _spending(pin, "bank_card", "card.bank_card.pin_last_try"):
            self._card(state)
            claimed = _checked_id(national_id, state)
            if not is_bank_card_pin(pin.reveal()):
                raise CounterError("card.bank_card.pin_format")
            challenge = self.broker.bank_card_challenge(state.broker_session)
            signed = self.devices.reader.bank_card_sign(pin, challenge)
        try:
            status = self.broker.bank_card_verify(
                state.broker_session, claimed, signed.certificate_der, signed.signature_der
            )
        except errors.IdentityDetailsWrong as error:  # a good card, but its account is not this citizen's
            IDENTITY_RESULTS.labels("bank_card", "not_holder").inc()
            raise CounterError("kiosk.bank_card.not_yours", **error.params) from None
        except errors.IdentityFailed:  # the verification centre did not accept the card or its signature
            IDENTITY_RESULTS.labels("bank_card", "refused").inc()
            raise CounterError("kiosk.bank_card.refused") from None
        self._passed(state, "bank_card", status)

    # -- no card ---------------------------------------------------------------------------------
    def multi_factor(self, state: KioskSession, answers: dict[str, Any]) -> None:
        """多因子 without a card: national ID + birthday + NHI card number + household number, or the ID card's
        issue date (換補證日期) instead of the household number."""
        national_id = _checked_id(str(answers.get("national_id", "")))
        birth_date = _date(str(answers.get("birth_date", "")), "kiosk.multi.birth_date")
        card_number = str(answers.get("nhi_card_number", "")).strip()
        household = str(answers.get("household_number", "")).strip().upper()
        issued = str(answers.get("id_card_issue_date", "")).strip()
        if bool(household) == bool(issued):
            raise CounterError("kiosk.multi.one_of")
        status = self.broker.multi_factor(
            state.broker_session,
            national_id,
            birth_date,
            card_number,
            household_number=household or None,
            id_card_issue_date=_date(issued, "kiosk.multi.issue_date") if issued else None,
        )
        self._passed(state, "multi_factor", status)

    def otp_send(self, state: KioskSession, national_id: str, phone: str) -> OtpSent:
        """An SMS code to the citizen's number on file, if ``phone`` is it (the broker answers the same either
        way). ``national_id`` "" means the ID this session's first method proved."""
        phone = "".join(ch for ch in phone if ch.isdigit())
        if len(phone) != 10 or not phone.startswith("09"):
            raise CounterError("kiosk.phone.invalid")
        return self.broker.otp_send(state.broker_session, _checked_id(national_id, state), phone)

    def otp_verify(self, state: KioskSession, otp: str) -> None:
        self._passed(state, "otp", self.broker.otp_verify(state.broker_session, otp))

    # -- the phone app ---------------------------------------------------------------------------
    def mobile_push(self, state: KioskSession, national_id: str) -> PushStarted:
        """Push to the citizen's phone; a watcher follows it and tells the page when it is answered."""
        started = self.broker.mobile_push(state.broker_session, _checked_id(national_id, state))
        state.push, state.push_started = started, time.monotonic()
        self._spawn(self._watch_push, "push-watch", state.id)
        return started

    def cancel_push(self, state: KioskSession) -> None:
        state.push = None
        state.qr = None

    # -- the phone app, started by a QR on screen (no ID typed) -----------------------------------------
    def qr_start(self, state: KioskSession) -> QrStarted:
        """A fresh sign-in QR for this session; a watcher tells the page when the app scanned it (then it is the
        push of ``mobile_push``, with its number) or when it expired."""
        started = self.broker.qr_start(state.broker_session)
        state.qr, state.push = started, None
        self._spawn(self._watch_qr, "qr-watch", state.id, started.qr_id)
        return started

    def qr_svg(self, state: KioskSession) -> bytes:
        """The session's QR as SVG, drawn here (the page's policy allows no script from elsewhere)."""
        if state.qr is None:
            raise errors.NotFound(what="qr")
        image = qrcode.make(state.qr.payload, image_factory=SvgPathImage, box_size=10, border=4)
        buffer = io.BytesIO()
        image.save(buffer)
        return buffer.getvalue()

    def _watch_qr(self, session_id: str, qr_id: str) -> None:
        while not self._stopped(PUSH_POLL_S):
            state = self.store.get(session_id)
            if state is None or state.qr is None or state.qr.qr_id != qr_id:
                return
            try:
                result = self.broker.qr_state(state.broker_session, qr_id)
            except errors.BrokerError:
                continue
            if result.state == "waiting":
                continue
            state.qr = None
            if result.state == "scanned" and result.push is not None:
                state.push, state.push_started = result.push, time.monotonic()
                seconds = int(result.push.expires_at.timestamp() - time.time())
                self.events("qr", {"state": "scanned", "match_number": result.push.match_number, "seconds": seconds},
                            to=state.id)  # fmt: skip
                self._watch_push(session_id)
            else:
                self.events("qr", {"state": "expired"}, to=state.id)
            return

    def _watch_push(self, session_id: str) -> None:
        while not self._stopped(PUSH_POLL_S):
            state = self.store.get(session_id)
            if state is None or state.push is None:
                return
            try:
                result = self.broker.push_status(state.broker_session, state.push.push_id)
            except errors.BrokerError:
                continue
            if result.state == "pending":
                continue
            PUSH_WAIT_SECONDS.labels(result.state).observe(time.monotonic() - state.push_started)
            state.push = None
            if result.state == "approved" and result.identity is not None:
                self._passed(state, "mobile", result.identity)
            else:
                IDENTITY_RESULTS.labels("mobile", result.state).inc()
            key = PUSH_MESSAGES.get(result.state, "")
            payload = {
                "state": result.state,
                "session": state.public(),
                "message": every_language(key) if key else None,
            }
            self.events("push", payload, to=state.id)
            return


def is_bank_card_pin(pin: str) -> bool:
    """A chip bank card's PIN: 6 to 12 digits (the page's keypad checks the same)."""
    return pin.isascii() and pin.isdigit() and 6 <= len(pin) <= 12


def _checked_id(national_id: str, state: KioskSession | None = None) -> str:
    """A typed national ID, checked before the broker sees it; "" for a second method (the broker uses the ID
    the first one proved)."""
    cleaned = national_id.strip().upper()
    if not cleaned and state is not None and state.identity is not None and state.identity.needs_another_method:
        return ""
    if not is_valid_national_id(cleaned):
        raise CounterError("kiosk.national_id.invalid")
    return cleaned


def _date(typed: str, key: str) -> date:
    """A date typed on the keypad: 8 digits (西元 YYYYMMDD) or 7 (民國 YYYMMDD)."""
    digits = "".join(ch for ch in typed if ch.isdigit())
    try:
        if len(digits) == 7:
            return date(int(digits[:3]) + 1911, int(digits[3:5]), int(digits[5:]))
        if len(digits) == 8:
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        pass
    raise CounterError(key)


@contextmanager
def _spending(pin: Personal[str], method: str, last_try_key: str) -> Iterator[None]:
    """A card step that spends the PIN on the card: wrong and locked PINs counted by method, the last try said
    before the one that locks the card, card faults counted by kind, and the PIN wiped whatever happened."""
    try:
        yield
    except (PinWrong, PinLocked) as error:
        IDENTITY_RESULTS.labels(method, "pin_locked" if isinstance(error, PinLocked) else "pin_wrong").inc()
        if isinstance(error, PinWrong) and error.tries_left == 1:
            raise PinWrong(last_try_key, tries_left=1) from None
        raise
    except CardError as error:
        CARD_ERRORS.labels(error.key).inc()
        raise
    finally:
        pin.wipe()
