"""Clerk pages and JSON API: a thin HTTP adapter over ``ClerkService`` (login, the scan page, redeem, purge;
the login id in the signed session cookie)."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from broker_client import errors
from clerk.service import ClerkService
from clerk.sessions import ClerkLogin
from counter_core.errors import CounterError
from counter_core.i18n import every_language, page_languages
from counter_core.signed_code import MAX_TEXT, SignedCodeError, SignedCodeKeysUnavailable
from counter_web.base import error_body

bp = Blueprint("clerk", __name__)
COOKIE_KEY = "clerk_login"


def service() -> ClerkService:
    return cast(ClerkService, current_app.extensions["clerk.service"])


def _page_config() -> dict[str, Any]:
    return cast(dict[str, Any], current_app.extensions["clerk.page_config"])


def _current() -> ClerkLogin | None:
    return service().current(session.get(COOKIE_KEY))


def _logged_in() -> ClerkLogin:
    login = _current()
    if login is None:
        raise errors.ClerkSessionExpired()
    return login


def _status(error: CounterError) -> int:
    if isinstance(error, errors.ClerkSessionExpired):
        return 401
    if isinstance(error, errors.BrokerOutcomeUnknown):
        return 504  # the page asks again with the same request id
    if isinstance(error, errors.BrokerUnavailable | SignedCodeKeysUnavailable):
        return 503
    if error.key == "clerk.receipt.genuine_offline":
        return 503  # the receipt checked out here; the broker could not be asked for the data
    if isinstance(error, SignedCodeError):
        return 409  # refused at the scan: forged, altered, expired, another agency's
    if isinstance(error, errors.RateLimited):
        return 429
    if isinstance(error, errors.BrokerError):
        return 409
    if error.key.startswith("clerk.record."):
        return 409
    return 422  # a typo: the code's check digit is wrong


@bp.errorhandler(CounterError)
def _counter_error(error: CounterError) -> tuple[Response, int]:
    return jsonify(error_body(error)), _status(error)


# -- login ---------------------------------------------------------------------------------------
@bp.get("/login")
def login_form() -> str:
    return render_template("clerk/login.html", error=None, username="")


@bp.post("/login")
def login() -> BaseResponse | tuple[str, int]:
    username = request.form.get("username", "").strip()
    try:
        login = service().login(username, request.form.get("password", ""), request.remote_addr or "")
    except (errors.ClerkLoginFailed, errors.ValidationFailed):
        return render_template(
            "clerk/login.html", error=every_language("broker.clerk.login_failed"), username=username
        ), 401
    except errors.BrokerError as error:
        status = 429 if isinstance(error, errors.RateLimited) else 503
        shown = every_language(error.key, **error.params)
        return render_template("clerk/login.html", error=shown, username=username), status
    except CounterError as error:  # this address tried too many wrong passwords: it waits
        shown = every_language(error.key, **error.params)
        return render_template("clerk/login.html", error=shown, username=username), 429
    session.clear()  # a fresh session id on login: no fixation
    session[COOKIE_KEY] = login.id
    return redirect(url_for("clerk.scan_page"))


@bp.post("/logout")
def logout() -> BaseResponse:
    login = _current()
    if login is not None:
        service().logout(login)
    session.clear()
    return redirect(url_for("clerk.login_form"))


# -- scan page -----------------------------------------------------------------------------------
@bp.get("/")
def scan_page() -> BaseResponse | str:
    login = _current()
    if login is None:
        return redirect(url_for("clerk.login_form"))
    return render_template(
        "clerk/scan.html",
        clerk=login.broker,
        config=_page_config(),
        languages=page_languages(),
        purge_after_s=service().settings.purge_after_s,
        case_record=service().settings.case_record,
    )


# -- API -----------------------------------------------------------------------------------------
@bp.post("/api/redeem")
def redeem() -> Response:
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    request_id = str(body.get("request_id", ""))[:64]
    code, source = str(body.get("code", ""))[:MAX_TEXT], str(body.get("source", "keypad"))
    shown = service().redeem(_logged_in(), code, source, request_id)
    redemption = shown.redemption.model_dump(mode="json", by_alias=True)
    receipt = shown.receipt.public() if shown.receipt else None
    return jsonify({"redemption": redemption, "purge_in_s": shown.purge_in_s, "again": shown.again, "receipt": receipt})


@bp.post("/api/check")
def check() -> Response:
    """A signed receipt's QR text checked on this station, with no broker call: agency, service and expiry
    to show at once, or why it is refused. The page then asks ``/api/redeem`` for the data."""
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    text, source = str(body.get("text", ""))[:MAX_TEXT], str(body.get("source", "keypad"))
    return jsonify({"receipt": service().check(_logged_in(), text, source).public()})


@bp.get("/api/record")
def record() -> Response:
    """The verification record of the citizen on screen, as a PDF to print or keep in the case file."""
    login = _logged_in()
    pdf = service().record(login)
    transaction = login.viewing.redemption.transaction_id if login.viewing else "record"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="mydata-{transaction}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/api/purge")
def purge_now() -> Response:
    service().purge(_logged_in(), "done")
    return jsonify({"purged": True})


@bp.get("/api/viewing")
def viewing() -> Response:
    """Whether data is still on screen (the page asks after coming back from the background)."""
    return jsonify({"viewing": _logged_in().viewing is not None})


# -- kiosks of this counter calling for help (signed by the kiosk, not the clerk: no CSRF token) -----
help_bp = Blueprint("clerk_help", __name__)


@help_bp.errorhandler(CounterError)
def _help_error(error: CounterError) -> tuple[Response, int]:
    return jsonify(error_body(error)), 401


@help_bp.post("/api/help-requests")
def help_called() -> tuple[Response, int]:
    body = request.get_json(silent=True)
    call = service().help_called(request, body if isinstance(body, dict) else {})
    return jsonify({"id": call.id}), 202


@help_bp.get("/api/help-requests/<call_id>")
def help_state(call_id: str) -> Response:
    return jsonify({"state": service().help.state(request, call_id[:32])})


@bp.get("/api/help-requests")
def help_open() -> Response:
    _logged_in()
    return jsonify({"calls": [call.public() for call in service().help.open_calls()]})


@bp.post("/api/help-requests/<call_id>/answer")
def help_answer(call_id: str) -> Response:
    call = service().help_answered(_logged_in(), call_id[:32])
    return jsonify({"answered": call is not None})
