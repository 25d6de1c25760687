"""The kiosk page's JSON API: a thin HTTP adapter over ``KioskService`` (one citizen session per page,
its id in the signed session cookie)."""

from __future__ import annotations

import time
from typing import Any, cast

from flask import Blueprint, Response, current_app, jsonify, request, session

from broker_client import errors
from counter_core.errors import CounterError
from counter_core.personal import Personal
from counter_web.base import error_body
from kiosk.service import KioskService
from kiosk.sessions import KioskSession

bp = Blueprint("kiosk_api", __name__, url_prefix="/api")
COOKIE_KEY = "kiosk_session"
MULTI_FACTOR_FIELDS = ("national_id", "birth_date", "nhi_card_number", "household_number", "id_card_issue_date")


def service() -> KioskService:
    return cast(KioskService, current_app.extensions["kiosk.service"])


def current() -> KioskSession:
    return service().session(session.get(COOKIE_KEY))


def body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


_current, _body = current, body


def _text(name: str) -> str:
    return str(_body().get(name, "")).strip()


@bp.errorhandler(CounterError)
def counter_error(error: CounterError) -> tuple[Response, int]:
    if isinstance(error, errors.SessionExpired):
        status = 409
    elif isinstance(error, errors.BrokerUnavailable):
        status = 503
    else:
        status = 400
    return jsonify(error_body(error)), status


# -- session, catalogue, consent -----------------------------------------------------------------
@bp.post("/start")
def start() -> Response:
    fresh = service().start_session(session.get(COOKIE_KEY), str(_body().get("language", "")))
    session[COOKIE_KEY] = fresh.id
    # The page joins its session's event room with this token (its socket connected before the session).
    return jsonify({
        "ok": True, "socket_token": fresh.socket_token, "card": service().reader_card(),
        "reader_problem": service().reader_problem(),
    })  # fmt: skip


@bp.get("/state")
def get_state() -> Response:
    return jsonify(_current().public())


@bp.get("/catalogue")
def get_catalogue() -> Response:
    return jsonify(service().catalogue().model_dump(mode="json", by_alias=True))


@bp.post("/service")
def choose_service() -> Response:
    state = _current()
    service().choose_service(state, _text("service_id"))
    return jsonify({
        "dataset_ids": state.dataset_ids, "terms_version": state.terms_version, "code_ttl_s": state.code_ttl_s,
        "view_window_s": state.view_window_s,
    })  # fmt: skip


@bp.post("/consent")
def consent() -> Response:
    state = _current()
    service().consent(state, bool(_body().get("accepted")), _text("terms_version")[:32], _text("shown"))
    return jsonify(state.public())


# -- identity ------------------------------------------------------------------------------------
@bp.post("/method")
def choose_method() -> Response:
    state = _current()
    service().choose_method(state, _text("method"))
    return jsonify(state.public())


@bp.post("/identity/moica")
def moica() -> Response:
    state = _current()
    service().identity.moica(state, Personal(str(_body().get("pin", "")), "PIN"))
    return jsonify(state.public())


@bp.post("/identity/bank_card")
def bank_card() -> Response:
    state = _current()
    pin = Personal(str(_body().get("pin", ""))[:16], "bank card PIN")
    service().identity.bank_card(state, _text("national_id"), pin)
    return jsonify(state.public())


@bp.post("/identity/mobile")
def mobile() -> Response:
    started = service().identity.mobile_push(_current(), _text("national_id"))
    seconds = int(started.expires_at.timestamp() - time.time())
    return jsonify(
        {"match_number": started.match_number, "expires_at": started.expires_at.isoformat(), "seconds": seconds}
    )


@bp.delete("/identity/mobile")
def cancel_push() -> Response:
    state = _current()
    service().identity.cancel_push(state)
    return jsonify(state.public())


@bp.post("/identity/nhi")
def nhi() -> Response:
    state = _current()
    service().identity.nhi_household(state, _text("household_number"), _text("nhi_card_number"))
    return jsonify(state.public())


@bp.post("/identity/nhi_card")
def nhi_card() -> Response:
    state = _current()
    service().identity.nhi_card(state, Personal(str(_body().get("password", ""))[:32], "NHI password"))
    return jsonify(state.public())


@bp.post("/identity/multi_factor")
def multi_factor() -> Response:
    state = _current()
    answers = {k: str(_body().get(k, ""))[:32] for k in MULTI_FACTOR_FIELDS}
    service().identity.multi_factor(state, answers)
    return jsonify(state.public())


@bp.post("/identity/otp/send")
def otp_send() -> Response:
    return jsonify(service().identity.otp_send(_current(), _text("national_id"), _text("phone")).model_dump())


@bp.post("/identity/otp/verify")
def otp_verify() -> Response:
    state = _current()
    service().identity.otp_verify(state, str(_body().get("otp", "")))
    return jsonify(state.public())


# -- code and receipt ----------------------------------------------------------------------------
@bp.post("/print")
def print_receipt() -> Response:
    request_id = _text("request_id")[:64]
    outcome = service().print_receipt(_current(), request_id)
    shown = {"code": outcome.code, "expires": outcome.expires, "printed": outcome.printed}
    return jsonify({**shown, **error_body(outcome.error)} if outcome.error else shown)


@bp.get("/receipt")
def receipt() -> tuple[Response, int] | Response:
    """The code already issued to this session (the page asks after a print call's answer was lost)."""
    outcome = service().receipt(_current())
    if outcome is None:
        return jsonify(error_body(errors.IdentityRequired())), 409
    return jsonify({"code": outcome.code, "expires": outcome.expires, "printed": outcome.printed})


@bp.post("/cancel")
def cancel() -> Response:
    service().cancel(session.pop(COOKIE_KEY, None))
    return jsonify({"ok": True})


# -- audio guide and calling a clerk --------------------------------------------------------------
@bp.post("/speech")
def speech() -> Response:
    """What the page shows, spoken (audio guide); works before a session starts (the welcome screen)."""
    wav = service().speak(str(_body().get("text", ""))[:400], _text("language"), request.remote_addr or "")
    return Response(wav, mimetype="audio/wav", headers={"Cache-Control": "no-store"})


@bp.post("/help")
def call_help() -> Response:
    call = service().call_help(session.get(COOKIE_KEY), _text("screen"))
    return jsonify({"id": call.id, "stations": len(call.stations)})


@bp.get("/help/<call_id>")
def help_state(call_id: str) -> Response:
    return jsonify({"state": service().help_state(call_id[:64])})
