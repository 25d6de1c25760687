"""The clerk's work as a plain class, with no HTTP in it: log in, redeem a code, show it until the purge
time, purge, log out; the camera feed that finds codes; the station's own audit.

A clerk station is one counter with one camera. Several clerks may be logged in at once (a colleague
helping, a supervisor): each login has its own screen, record, purge timer and events. Codes the camera
finds go to one login only: the one whose scan page connected last (it holds the camera) — never to a page
that is not logged in. The web layer (``clerk.views``) only turns requests into calls. ``ClerkService`` owns
its background threads (the camera decode loop, the purge timer) and stops them in ``close()``.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from broker_client import BrokerClient, errors
from broker_client.models import REQUEST_ID_PATTERN, Redemption
from clerk.audit import LocalAudit
from clerk.camera_feed import CameraFeed
from clerk.devices import ClerkDevices
from clerk.help import HelpBoard, HelpCall
from clerk.receipts import Receipt, ReceiptChecker
from clerk.record import render_record
from clerk.sessions import ClerkLogin, ClerkSessions, Viewing
from counter_core.clock import Clock
from counter_core.datacode import is_valid_code, normalise_typed
from counter_core.errors import CounterError
from counter_core.events import EventSink
from counter_core.limits import AttemptLimiter
from counter_core.metrics import REDEMPTIONS, SCANS
from counter_core.settings import ClerkSettings
from counter_core.signed_code import SignedCodeError, code_in_text, is_signed_text
from hardware.decode.interface import Decoded

PURGE_CHECK_S = 1.0
LOGIN_TRIES = (4, 300.0)  # wrong logins per client address in seconds, before the station asks it to wait
SOURCES = ("camera", "wedge", "keypad")
OUTCOMES = {
    errors.CodeExpired: "expired", errors.CodeAlreadyUsed: "already_used", errors.CodeForeignAgency: "foreign_agency",
    errors.CodeUnknown: "unknown", errors.RateLimited: "rate_limited", errors.BrokerUnavailable: "unavailable",
    errors.BrokerOutcomeUnknown: "no_answer",
}  # fmt: skip
REQUEST_ID = re.compile(REQUEST_ID_PATTERN)


@dataclass(frozen=True)
class Shown:
    redemption: Redemption
    purge_in_s: int
    again: bool = False  # the code on screen was entered again: nothing was asked of the broker
    receipt: Receipt | None = None  # a signed receipt, verified before the broker was asked


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


class ClerkService:
    def __init__(
        self,
        settings: ClerkSettings,
        devices: ClerkDevices,
        broker: BrokerClient,
        events: EventSink,
        audit: LocalAudit | None = None,
        clock: Clock | None = None,
    ) -> None:
        """``clock``: the station's time for checking signed receipts (tests move it instead of waiting)."""
        self.settings = settings
        self.devices = devices
        self.broker = broker
        self.events = events
        self.logins = ClerkSessions(settings.session_timeout_s)
        self.audit = audit if audit is not None else LocalAudit(settings.audit_db)
        self.feed = CameraFeed(devices.camera, devices.decoder, self._code_found)
        self._camera_owner = ""  # the login whose scan page holds the camera
        self.login_tries = AttemptLimiter(*LOGIN_TRIES)
        self.help = HelpBoard(settings.help_kiosks)
        self.receipts = ReceiptChecker(broker, clock)
        self._stop = threading.Event()
        self._purger = threading.Thread(target=self._purge_forever, daemon=True, name="clerk-purge")

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self.feed.start()
        self._purger.start()
        self.receipts.start()

    def close(self) -> None:
        """Stop decoding and the purge timer before the devices close: a thread still inside OpenCV or
        zxing-cpp when the interpreter exits aborts the process."""
        self._stop.set()
        self.receipts.close()
        self.feed.close()
        if self._purger.is_alive():
            self._purger.join(timeout=3)
        self.devices.close()
        self.audit.close()

    def claim_camera(self, login: ClerkLogin) -> None:
        """The login whose scan page just connected gets the camera's codes from now on."""
        self._camera_owner = login.id

    def _code_found(self, decoded: Decoded) -> None:
        owner = self.logins.peek(self._camera_owner)
        if owner is not None:  # nobody logged in at the camera: the code goes nowhere
            event = {"code": decoded.code, "format": decoded.format, "text": decoded.text}
            self.events("code_found", event, to=owner.id)

    def _purge_forever(self) -> None:
        while not self._stop.wait(PURGE_CHECK_S):
            for login in self.logins.due_for_purge():
                self.purge(login, "timeout")
                self.events("purged", {"reason": "timeout"}, to=login.id)

    # -- logins ----------------------------------------------------------------------------------
    def current(self, login_id: str | None) -> ClerkLogin | None:
        return self.logins.get(login_id)

    def login(self, username: str, password: str, client: str = "") -> ClerkLogin:
        """Log in at the broker; raises ``ClerkLoginFailed`` (wrong name or password) or another
        ``BrokerError``. A client address with too many wrong tries waits (``clerk.login.limited``) before
        the broker is asked again: guessing through this station does not lock a clerk out elsewhere."""
        block = self.login_tries.blocked(client)
        if block is not None:
            raise CounterError("clerk.login.limited", retry_after_s=block.retry_after_s)
        try:
            clerk = self.broker.clerk_login(username.strip(), password)
        except (errors.ClerkLoginFailed, errors.ValidationFailed):
            self.login_tries.record(client)
            raise
        self.login_tries.forget(client)
        if self.receipts.catalogue is None:  # names for signed receipts, before the first scan
            self.receipts.fetch_catalogue()
        login = self.logins.add(clerk)
        self.audit.record("login", clerk=clerk.username, agency=clerk.agency_id)
        return login

    def logout(self, login: ClerkLogin) -> None:
        self.purge(login, "logout")
        self.logins.remove(login.id)
        with contextlib.suppress(errors.BrokerError):
            self.broker.clerk_logout(login.broker.token)
        self.audit.record("logout", clerk=login.broker.username, agency=login.broker.agency_id)

    # -- codes -----------------------------------------------------------------------------------
    def check(self, login: ClerkLogin, text: str, source: str) -> Receipt:
        """A signed receipt verified here, before and without any broker call (but a refresh of the broker's
        key list when its key id is new): its agency, service and expiry, or its refusal, audited."""
        source = source if source in SOURCES else "keypad"
        try:
            return self.receipts.check(text.strip(), login.broker.agency_id)
        except SignedCodeError as error:
            SCANS.labels(source, "refused").inc()
            self.audit.record(
                f"refused.signed.{error.key.split('.')[-1]}",
                clerk=login.broker.username,
                agency=login.broker.agency_id,
                code=code_in_text(text.strip()) or "",
                source=source,
            )
            raise

    def redeem(self, login: ClerkLogin, typed: str, source: str, request_id: str = "") -> Shown:
        """A signed receipt (``MYDATA2:``) is verified first (``check``): refused at once without asking the
        broker, else redeemed like any code. With the broker down the clerk is told the receipt is genuine and
        until when it is valid (``clerk.receipt.genuine_offline``); the data still comes only from the broker."""
        if not is_signed_text(typed.strip()):
            return self._lookup(login, typed, source, request_id)
        receipt = self.check(login, typed, source)
        try:
            shown = self._lookup(login, receipt.code, source, request_id)
        except errors.BrokerOutcomeUnknown:
            raise
        except errors.BrokerUnavailable as error:
            raise CounterError("clerk.receipt.genuine_offline", until=receipt.until) from error
        return replace(shown, receipt=receipt)

    def _lookup(self, login: ClerkLogin, typed: str, source: str, request_id: str = "") -> Shown:
        """Fetch the citizen's data for a code; what was on screen before is purged first. Typos never
        reach the broker; a refusal is audited and raised as its typed error.

        One lookup at a time per login. The page names each attempt (``request_id``): asked again after its
        answer was lost, the same answer is given again, the broker is not asked twice. The code already on
        screen, entered again (a double scan, a colleague typing it), just shows it again. The broker is sent
        the same name: when its answer is lost on the way here (``BrokerOutcomeUnknown``, not remembered as a
        refusal) the page asks again and the broker answers the same redemption, without a second notice."""
        source = source if source in SOURCES else "keypad"
        code = normalise_typed(typed)
        if not is_valid_code(code):
            SCANS.labels(source, "invalid").inc()
            raise CounterError("clerk.code.typo")
        with login.lock:
            viewing = login.viewing
            if viewing is not None and (
                (request_id and viewing.request_id == request_id) or viewing.code_hash == _code_hash(code)
            ):
                return Shown(viewing.redemption, max(0, int(viewing.deadline - time.monotonic())), again=True)
            if request_id and request_id in login.refusals:
                raise login.refusals[request_id]
            try:
                return self._redeem(login, code, source, request_id)
            except errors.BrokerOutcomeUnknown:
                raise
            except errors.BrokerError as error:
                if request_id:
                    login.refusals = {**dict(list(login.refusals.items())[-7:]), request_id: error}
                raise

    def _redeem(self, login: ClerkLogin, code: str, source: str, request_id: str) -> Shown:
        SCANS.labels(source, "valid").inc()
        self.purge(login, "replaced")
        clerk, agency = login.broker.username, login.broker.agency_id
        named = request_id if REQUEST_ID.fullmatch(request_id) else secrets.token_hex(16)
        try:
            redemption = self.broker.redeem(login.broker.token, code, named)
        except errors.ClerkSessionExpired:
            self.logins.remove(login.id)
            raise
        except errors.BrokerOutcomeUnknown:
            REDEMPTIONS.labels("no_answer").inc()
            self.audit.record("no_answer", clerk=clerk, agency=agency, code=code, source=source)
            raise
        except errors.BrokerError as error:
            REDEMPTIONS.labels(OUTCOMES.get(type(error), "error")).inc()
            self.audit.record(
                f"refused.{error.key.split('.')[-1]}", clerk=clerk, agency=agency, code=code, source=source
            )
            raise
        REDEMPTIONS.labels("ok").inc()
        # The view ends at the earlier of this station's purge time and the broker's view deadline.
        broker_left = (redemption.view_deadline - datetime.now(UTC)).total_seconds()
        purge_in_s = max(0, int(min(self.settings.purge_after_s, broker_left)))
        login.viewing = Viewing(redemption, time.monotonic() + purge_in_s, _code_hash(code), request_id)
        dataset_ids = [d.id for d in redemption.datasets]
        self.audit.record(
            "viewed",
            clerk=clerk,
            agency=agency,
            transaction_id=redemption.transaction_id,
            dataset_ids=dataset_ids,
            code=code,
            source=source,
        )
        return Shown(redemption, purge_in_s)

    def purge(self, login: ClerkLogin, why: str) -> None:
        """Forget what this login has on screen, audit it and tell the broker (the local purge is what
        matters: a broker that cannot be told is not an error)."""
        viewing = login.viewing
        if viewing is None:
            return
        login.viewing = None
        transaction = viewing.redemption.transaction_id
        self.audit.record(
            f"purged.{why}",
            clerk=login.broker.username,
            agency=login.broker.agency_id,
            transaction_id=transaction,
            dataset_ids=[d.id for d in viewing.redemption.datasets],
        )
        with contextlib.suppress(errors.BrokerError):
            self.broker.purge_ack(login.broker.token, transaction)

    def record(self, login: ClerkLogin) -> bytes:
        """The verification record of what is on screen, as the agency's setting says (audited; not kept)."""
        if self.settings.case_record == "off":
            raise CounterError("clerk.record.off")
        viewing = login.viewing
        if viewing is None:
            raise CounterError("clerk.record.nothing")
        with_values = self.settings.case_record == "with_values"
        clerk = f"{login.broker.clerk_name} ({login.broker.username})"
        agency = login.broker.agency.get("zh-TW")
        pdf = render_record(viewing.redemption, clerk, agency, datetime.now().astimezone(), with_values)
        self.audit.record(
            f"record.{self.settings.case_record}",
            clerk=login.broker.username,
            agency=login.broker.agency_id,
            transaction_id=viewing.redemption.transaction_id,
            dataset_ids=[d.id for d in viewing.redemption.datasets],
        )
        return pdf

    # -- citizens calling for help at the kiosks --------------------------------------------------
    def help_called(self, request: Any, body: dict[str, Any]) -> HelpCall:
        call = self.help.receive(request, body)
        self.events("help", call.public())  # every clerk logged in here
        return call

    def help_answered(self, login: ClerkLogin, call_id: str) -> HelpCall | None:
        call = self.help.answer(call_id, login.broker.clerk_name)
        if call is not None:
            self.events("help_answered", call.public())
        return call

    # -- the technician's checks -----------------------------------------------------------------
    def decode_test(self) -> dict[str, object]:
        frame = self.devices.camera.latest_frame()
        if frame is None:
            return {"frame": None}
        found = self.devices.decoder.decode(frame.image)
        return {
            "frame": list(frame.image.shape),
            "decoded": found.format if found else None,
            "ms": round(found.ms, 1) if found else None,
        }
