"""The kiosk page's JSON API: one citizen session, from service choice to the printed receipt."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request, session

from broker_client import BrokerClient, errors
from broker_client.models import Catalogue
from counter_core.errors import CounterError
from counter_core.i18n import both
from counter_core.metrics import IDENTITY_RESULTS, PRINTER_FAULTS, PUSH_WAIT_SECONDS, RECEIPTS
from counter_core.national_id import is_valid_national_id
from counter_core.personal import Personal
from hardware.cards.interface import CardReader, PinLocked, PinWrong
from hardware.printer.interface import Printer, PrinterError
from hardware.printer.receipt import Receipt
from kiosk.flow import KioskSession, SessionStore

log = logging.getLogger(__name__)
Emit = Callable[[str, dict[str, Any]], None]


class Failure(Exception):
    def __init__(self, error: CounterError, status: int = 400) -> None:
        self.error = error
        self.status = status


def error_body(error: CounterError) -> dict[str, Any]:
    params = {k: v for k, v in error.params.items() if isinstance(v, str | int)}
    return {"error": error.key, "message": both(error.key, **params), "params": params}


def kiosk_api(
    store: SessionStore,
    broker: BrokerClient,
    reader: CardReader | None,
    printer: Printer,
    emit: Emit,
    terms_version: str,
) -> Blueprint:
    bp = Blueprint("kiosk_api", __name__, url_prefix="/api")
    catalogue_cache: dict[str, tuple[float, Catalogue]] = {}

    def catalogue() -> Catalogue:
        cached = catalogue_cache.get("c")
        if cached and time.monotonic() - cached[0] < 300:
            return cached[1]
        fresh = broker.catalogue()
        catalogue_cache["c"] = (time.monotonic(), fresh)
        return fresh

    def current() -> KioskSession:
        found = store.get(session.get("kiosk_session"))
        if found is None:
            raise Failure(errors.SessionExpired(), 409)
        return found

    def body() -> dict[str, Any]:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else {}

    @bp.errorhandler(Failure)
    def _failure(failure: Failure) -> tuple[Response, int]:
        return jsonify(error_body(failure.error)), failure.status

    @bp.errorhandler(CounterError)
    def _counter_error(error: CounterError) -> tuple[Response, int]:
        status = 503 if isinstance(error, errors.BrokerUnavailable) else 400
        return jsonify(error_body(error)), status

    # -- start and catalogue ---------------------------------------------------------------------
    @bp.post("/start")
    def start() -> Response:
        old = session.get("kiosk_session")
        if old:
            store.wipe(old)
        language = str(body().get("language", "zh-TW"))
        fresh = store.create(language if language in ("zh-TW", "en") else "zh-TW")
        session["kiosk_session"] = fresh.id
        return jsonify({"ok": True})

    @bp.get("/state")
    def get_state() -> Response:
        return jsonify(current().public())

    @bp.get("/catalogue")
    def get_catalogue() -> Response:
        return jsonify(catalogue().model_dump(mode="json", by_alias=True))

    @bp.post("/service")
    def choose_service() -> Response:
        state = current()
        service_id = str(body().get("service_id", ""))
        started = broker.start_session(service_id)
        state.service_id, state.broker_session = service_id, started.session_id
        state.terms_version, state.dataset_ids = started.terms_version, started.dataset_ids
        state.consented, state.identity = False, None
        return jsonify({"dataset_ids": started.dataset_ids, "terms_version": started.terms_version})

    @bp.post("/consent")
    def consent() -> Response:
        state = current()
        if not body().get("accepted"):
            raise Failure(errors.ConsentRequired())
        broker.record_consent(state.broker_session, state.terms_version or terms_version, state.dataset_ids)
        state.consented = True
        return jsonify(state.public())

    # -- identity --------------------------------------------------------------------------------
    @bp.post("/method")
    def choose_method() -> Response:
        state = current()
        method = str(body().get("method", ""))
        state.active_method = method if method in ("moica", "mobile", "nhi_household", "otp") else ""
        return jsonify(state.public())

    def passed(state: KioskSession, method: str, status: Any) -> Response:
        state.identity = status
        IDENTITY_RESULTS.labels(method, "ok").inc()
        return jsonify(state.public())

    @bp.post("/identity/moica")
    def moica() -> Response:
        state = current()
        if reader is None:
            raise Failure(errors.IdentityFailed())
        pin = Personal(str(body().get("pin", "")), "PIN")
        try:
            challenge = broker.moica_challenge(state.broker_session)
            signed = reader.moica_sign(pin, challenge)
        except PinWrong as error:
            IDENTITY_RESULTS.labels("moica", "pin_wrong").inc()
            raise Failure(error) from None
        except PinLocked as error:
            IDENTITY_RESULTS.labels("moica", "pin_locked").inc()
            raise Failure(error) from None
        finally:
            pin.wipe()
        return passed(
            state, "moica", broker.moica_verify(state.broker_session, signed.certificate_der, signed.signature_der)
        )

    @bp.post("/identity/mobile")
    def mobile() -> Response:
        state = current()
        national_id = str(body().get("national_id", "")).strip().upper()
        if not is_valid_national_id(national_id):
            raise Failure(CounterError("kiosk.national_id.invalid"))
        started = broker.mobile_push(state.broker_session, national_id)
        state.push, state.push_started = started, time.monotonic()
        threading.Thread(target=watch_push, args=(state.id,), daemon=True, name="push-watch").start()
        return jsonify(
            {
                "match_number": started.match_number,
                "expires_at": started.expires_at.isoformat(),
                "seconds": int(started.expires_at.timestamp() - time.time()),
            }
        )

    def watch_push(session_id: str) -> None:
        """Follow the push until the citizen answers or it expires; tell the page over Socket.IO."""
        while True:
            time.sleep(0.5)
            state = store.get(session_id)
            if state is None or state.push is None:
                return
            try:
                result = broker.push_status(state.broker_session, state.push.push_id)
            except errors.BrokerError:
                continue
            if result.state == "pending":
                continue
            PUSH_WAIT_SECONDS.labels(result.state).observe(time.monotonic() - state.push_started)
            state.push = None
            if result.state == "approved" and result.identity is not None:
                state.identity = result.identity
                IDENTITY_RESULTS.labels("mobile", "ok").inc()
            else:
                IDENTITY_RESULTS.labels("mobile", result.state).inc()
            key = {"denied": "broker.push.denied", "expired": "broker.push.expired"}.get(result.state, "")
            emit("push", {"state": result.state, "session": state.public(), "message": both(key) if key else None})
            return

    @bp.delete("/identity/mobile")
    def cancel_push() -> Response:
        state = current()
        state.push = None
        return jsonify(state.public())

    @bp.post("/identity/nhi")
    def nhi() -> Response:
        state = current()
        data = body()
        household = str(data.get("household_number", "")).strip()
        card_number = str(data.get("nhi_card_number", "")).strip()
        if not card_number:  # read it from the NHI card in the reader
            if reader is None:
                raise Failure(errors.IdentityFailed())
            card = reader.read_nhi()
            card_number = card.card_number.reveal()
        return passed(state, "nhi_household", broker.nhi_household(state.broker_session, card_number, household))

    @bp.post("/identity/otp/send")
    def otp_send() -> Response:
        state = current()
        national_id = str(body().get("national_id", "")).strip().upper()
        if not is_valid_national_id(national_id):
            raise Failure(CounterError("kiosk.national_id.invalid"))
        return jsonify(broker.otp_send(state.broker_session, national_id).model_dump())

    @bp.post("/identity/otp/verify")
    def otp_verify() -> Response:
        state = current()
        return passed(state, "otp", broker.otp_verify(state.broker_session, str(body().get("otp", ""))))

    # -- code and receipt ------------------------------------------------------------------------
    @bp.post("/print")
    def print_receipt() -> Response:
        state = current()
        if state.issued is None:
            state.issued = broker.issue_code(state.broker_session)
        issued = state.issued
        local_expiry = issued.expires_at.astimezone()
        shown = {"code": issued.code, "expires": local_expiry.strftime("%H:%M"), "printed": False}
        receipt = Receipt(
            issued.agency.zh_TW,
            issued.agency.en,
            issued.service.zh_TW,
            issued.service.en,
            issued.code,
            local_expiry,
            [d.zh_TW for d in issued.dataset_names],
            [d.en for d in issued.dataset_names],
            issued.support_line,
        )
        try:
            printer.print_receipt(receipt)
        except PrinterError as error:
            PRINTER_FAULTS.labels(error.key.split(".")[-1]).inc()
            RECEIPTS.labels("failed").inc()
            emit("printer", {"status": error.key})
            return jsonify({**shown, **error_body(error)})
        RECEIPTS.labels("printed").inc()
        state.printed = True
        return jsonify({**shown, "printed": True})

    @bp.post("/cancel")
    def cancel() -> Response:
        session_id = session.pop("kiosk_session", None)
        wiped = store.wipe(session_id) if session_id else None
        if wiped is not None and wiped.broker_session and wiped.issued is None:
            with contextlib.suppress(errors.BrokerError):  # else the broker's own timeout closes it
                broker.cancel_session(wiped.broker_session)
        return jsonify({"ok": True})

    return bp
