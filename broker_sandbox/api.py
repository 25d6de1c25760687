"""The broker API (``/api/v1``): signed JSON requests from kiosks and clerk stations."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Blueprint, Response, g, jsonify, request
from pydantic import BaseModel, ValidationError

from broker_client import errors
from broker_client.errors import STATUS_BY_KEY, BrokerError
from broker_client.models import (
    REQUEST_ID_PATTERN,
    BankCardProof,
    ClerkLogin,
    Consent,
    ErrorBody,
    MoicaProof,
    MultiFactor,
    NationalIdBody,
    NhiCardPassword,
    NhiHousehold,
    OtpBody,
    OtpRequest,
    PurgeAck,
    RedeemBody,
    StartSession,
    TerminalInfo,
    Text,
)
from broker_client.signing import RequestVerifier, SignatureRejected
from broker_sandbox.api_citizen import CitizenServices, citizen_routes
from broker_sandbox.clerk_flow import ClerkFlow
from broker_sandbox.identity_cards import CardMethods
from broker_sandbox.identity_details import DetailMethods
from broker_sandbox.identity_phone import PhoneMethods
from broker_sandbox.kiosk_flow import KioskFlow
from counter_core.i18n import every_language

M = TypeVar("M", bound=BaseModel)
REQUEST_ID = re.compile(REQUEST_ID_PATTERN)


@dataclass(frozen=True)
class IdentityMethods:
    cards: CardMethods
    details: DetailMethods
    phone: PhoneMethods


def error_response(error: BrokerError) -> Response:
    """The error as ``ErrorBody``: its message in every language (language-map params filled per language),
    the numbers a client acts on, and for a refused method the dataset and the methods that would do."""
    params = {k: v for k, v in error.params.items() if isinstance(v, str | int | dict)}
    numbers = {k: int(v) for k, v in params.items() if k in ("retry_after_s", "tries_left") and not isinstance(v, dict)}
    dataset_id, allowed = error.params.get("dataset_id"), error.params.get("allowed_methods")
    body = ErrorBody(
        error=error.key,
        message=Text.model_validate(every_language(error.key, **params)),
        retry_after_s=numbers.get("retry_after_s"),
        tries_left=numbers.get("tries_left"),
        dataset_id=dataset_id if isinstance(dataset_id, str) else None,
        allowed_methods=allowed if isinstance(allowed, list) else None,
        reason=str(error.params["cause"]) if "cause" in error.params else None,
    )
    response = jsonify(body.model_dump(mode="json", by_alias=True, exclude_none=True))
    response.status_code = STATUS_BY_KEY.get(error.key, 400)
    if body.retry_after_s is not None:
        response.headers["Retry-After"] = str(body.retry_after_s)
    return response


def _body(model: type[M]) -> M:
    """The request's JSON body as ``model``, parsed as JSON (so dates must be ISO strings, not numbers)."""
    if not request.is_json:
        raise errors.ValidationFailed(field="body")
    try:
        return model.model_validate_json(request.get_data(cache=True))
    except ValidationError:
        raise errors.ValidationFailed(field="body") from None


def _json(model: BaseModel, status: int = 200) -> Response:
    response = jsonify(model.model_dump(mode="json", by_alias=True))
    response.status_code = status
    return response


def _clerk_token() -> str:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or len(header) < 20:
        raise errors.ClerkSessionExpired()
    return header[len("Bearer ") :]


def api_blueprint(
    verifier: RequestVerifier,
    kiosk: KioskFlow,
    methods: IdentityMethods,
    clerk: ClerkFlow,
    catalogue: Callable[[], BaseModel],
    citizen: CitizenServices,
) -> Blueprint:
    bp = Blueprint("api", __name__, url_prefix="/api/v1")

    @bp.before_request
    def _authenticate() -> Response | None:
        try:
            g.terminal = verifier.verify(request, request.get_data(cache=True))
        except SignatureRejected as exc:
            return error_response(errors.AuthFailed(reason=str(exc), cause=exc.code))
        return None

    @bp.errorhandler(BrokerError)
    def _broker_error(error: BrokerError) -> Response:
        return error_response(error)

    @bp.get("/terminal")
    def who_am_i() -> Response:
        return _json(TerminalInfo(terminal_id=g.terminal, registered=True, server_time=datetime.now(UTC)))

    @bp.get("/catalogue")
    def get_catalogue() -> Response:
        return _json(catalogue())

    # -- kiosk -----------------------------------------------------------------------------------
    @bp.post("/kiosk/sessions")
    def start_session() -> Response:
        return _json(kiosk.start(g.terminal, _body(StartSession).service_id), 201)

    @bp.delete("/kiosk/sessions/<session_id>")
    def cancel_session(session_id: str) -> tuple[str, int]:
        kiosk.cancel(g.terminal, session_id)
        return "", 204

    @bp.post("/kiosk/sessions/<session_id>/consent")
    def consent(session_id: str) -> tuple[str, int]:
        kiosk.consent(g.terminal, session_id, _body(Consent))
        return "", 204

    @bp.post("/kiosk/sessions/<session_id>/moica/challenge")
    def moica_challenge(session_id: str) -> Response:
        return jsonify({"challenge": methods.cards.moica_challenge(g.terminal, session_id)})

    @bp.post("/kiosk/sessions/<session_id>/moica/verify")
    def moica_verify(session_id: str) -> Response:
        body = _body(MoicaProof)
        return _json(methods.cards.moica_verify(g.terminal, session_id, body.certificate, body.signature))

    @bp.post("/kiosk/sessions/<session_id>/bank_card/challenge")
    def bank_card_challenge(session_id: str) -> Response:
        return jsonify({"challenge": methods.cards.bank_card_challenge(g.terminal, session_id)})

    @bp.post("/kiosk/sessions/<session_id>/bank_card/verify")
    def bank_card_verify(session_id: str) -> Response:
        body = _body(BankCardProof)
        return _json(
            methods.cards.bank_card_verify(g.terminal, session_id, body.national_id, body.certificate, body.signature)
        )

    @bp.post("/kiosk/sessions/<session_id>/nhi_card")
    def nhi_card(session_id: str) -> Response:
        body = _body(NhiCardPassword)
        return _json(methods.cards.nhi_card(g.terminal, session_id, body.nhi_card_number, body.password))

    @bp.post("/kiosk/sessions/<session_id>/push")
    def push_start(session_id: str) -> Response:
        return _json(methods.phone.push_start(g.terminal, session_id, _body(NationalIdBody).national_id), 201)

    @bp.get("/kiosk/sessions/<session_id>/push/<push_id>")
    def push_status(session_id: str, push_id: str) -> Response:
        return _json(methods.phone.push_status(g.terminal, session_id, push_id))

    @bp.post("/kiosk/sessions/<session_id>/nhi")
    def nhi(session_id: str) -> Response:
        body = _body(NhiHousehold)
        return _json(methods.details.nhi_household(g.terminal, session_id, body.nhi_card_number, body.household_number))

    @bp.post("/kiosk/sessions/<session_id>/multi_factor")
    def multi_factor(session_id: str) -> Response:
        return _json(methods.details.multi_factor(g.terminal, session_id, _body(MultiFactor)))

    @bp.post("/kiosk/sessions/<session_id>/otp")
    def otp_send(session_id: str) -> Response:
        body = _body(OtpRequest)
        return _json(methods.phone.otp_send(g.terminal, session_id, body.national_id, body.phone))

    @bp.post("/kiosk/sessions/<session_id>/otp/verify")
    def otp_verify(session_id: str) -> Response:
        return _json(methods.phone.otp_verify(g.terminal, session_id, _body(OtpBody).otp))

    @bp.post("/kiosk/sessions/<session_id>/code")
    def issue_code(session_id: str) -> Response:
        return _json(kiosk.issue_code(g.terminal, session_id), 201)

    citizen_routes(bp, citizen, _body, _json)

    # -- clerk -----------------------------------------------------------------------------------
    @bp.post("/clerk/login")
    def clerk_login() -> Response:
        body = _body(ClerkLogin)
        return _json(clerk.login(g.terminal, body.username, body.password))

    @bp.post("/clerk/logout")
    def clerk_logout() -> tuple[str, int]:
        clerk.logout(g.terminal, _clerk_token())
        return "", 204

    @bp.post("/clerk/redeem")
    def redeem() -> Response:
        body = _body(RedeemBody)
        return _json(clerk.redeem(g.terminal, _clerk_token(), body.code, body.request_id or ""))

    @bp.get("/clerk/redemptions/<request_id>")
    def redemption(request_id: str) -> Response:
        if not REQUEST_ID.fullmatch(request_id):
            raise errors.ValidationFailed(field="request_id")
        return _json(clerk.redemption(g.terminal, _clerk_token(), request_id))

    @bp.post("/clerk/purge")
    def purge() -> tuple[str, int]:
        clerk.purge(g.terminal, _clerk_token(), _body(PurgeAck).transaction_id)
        return "", 204

    @bp.app_errorhandler(404)
    def _not_found(_error: Any) -> Response | tuple[str, int]:
        if request.path.startswith("/api/"):
            return error_response(errors.ValidationFailed(field="path"))
        return "Not found", 404

    @bp.app_errorhandler(413)
    def _too_large(_error: Any) -> Response:
        """The body limit (counter_web.base.MAX_BODY_BYTES) is checked before the signature is read."""
        response = error_response(errors.ValidationFailed(field="body"))
        response.status_code = 413
        return response

    @bp.app_errorhandler(405)
    def _bad_method(error: Any) -> Any:
        if request.path.startswith("/api/"):
            response = error_response(errors.ValidationFailed(field="method"))
            response.status_code = 405
            allowed = getattr(error, "valid_methods", None) or []
            response.headers["Allow"] = ", ".join(sorted(allowed))  # RFC 9110: 405 lists what is allowed
            return response
        return error

    return bp
