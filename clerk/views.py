"""Clerk pages and JSON API: login, the scan page, redeem, purge."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from broker_client import BrokerClient, errors
from clerk.audit import LocalAudit
from clerk.sessions import ClerkLogin, ClerkSessions, Viewing
from counter_core.datacode import is_valid_code, normalise_typed
from counter_core.errors import CounterError
from counter_core.i18n import both
from counter_core.metrics import REDEMPTIONS, SCANS

OUTCOMES = {
    errors.CodeExpired: "expired", errors.CodeAlreadyUsed: "already_used", errors.CodeForeignAgency: "foreign_agency",
    errors.CodeUnknown: "unknown", errors.RateLimited: "rate_limited", errors.BrokerUnavailable: "unavailable",
}  # fmt: skip


def _error(error: CounterError, status: int) -> tuple[Response, int]:
    params = {k: v for k, v in error.params.items() if isinstance(v, str | int)}
    return jsonify({"error": error.key, "message": both(error.key, **params), "params": params}), status


def clerk_blueprint(
    broker: BrokerClient, logins: ClerkSessions, audit: LocalAudit, purge_after_s: int, page_config: Callable[[], str]
) -> Blueprint:
    bp = Blueprint("clerk", __name__)

    def current() -> ClerkLogin | None:
        return logins.get(session.get("clerk_login"))

    # -- login -----------------------------------------------------------------------------------
    @bp.get("/login")
    def login_form() -> str:
        return render_template("clerk/login.html", error=None, username="", config=page_config())

    @bp.post("/login")
    def login() -> BaseResponse | tuple[str, int]:
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        try:
            clerk = broker.clerk_login(username, password)
        except (errors.ClerkLoginFailed, errors.ValidationFailed):
            return render_template(
                "clerk/login.html", error=both("broker.clerk.login_failed"), username=username, config=page_config()
            ), 401
        except errors.BrokerError as error:
            return render_template(
                "clerk/login.html", error=both(error.key), username=username, config=page_config()
            ), 503
        session.clear()  # a fresh session id on login: no fixation
        login = logins.add(clerk)
        session["clerk_login"] = login.id
        audit.record("login", clerk=clerk.username, agency=clerk.agency_id)
        return redirect(url_for("clerk.scan_page"))

    @bp.post("/logout")
    def logout() -> BaseResponse:
        login = current()
        if login is not None:
            purge(login, "logout")
            logins.remove(login.id)
            with contextlib.suppress(errors.BrokerError):
                broker.clerk_logout(login.broker.token)
            audit.record("logout", clerk=login.broker.username, agency=login.broker.agency_id)
        session.clear()
        return redirect(url_for("clerk.login_form"))

    # -- scan page -------------------------------------------------------------------------------
    @bp.get("/")
    def scan_page() -> BaseResponse | str:
        login = current()
        if login is None:
            return redirect(url_for("clerk.login_form"))
        return render_template("clerk/scan.html", clerk=login.broker, config=page_config(), purge_after_s=purge_after_s)

    # -- API -------------------------------------------------------------------------------------
    @bp.post("/api/redeem")
    def redeem() -> tuple[Response, int] | Response:
        login = current()
        if login is None:
            return _error(errors.ClerkSessionExpired(), 401)
        body = request.get_json(silent=True) or {}
        source = str(body.get("source", "keypad"))
        source = source if source in ("camera", "wedge", "keypad") else "keypad"
        code = normalise_typed(str(body.get("code", "")))
        if not is_valid_code(code):  # typos never reach the broker
            SCANS.labels(source, "invalid").inc()
            return _error(CounterError("clerk.code.typo"), 422)
        SCANS.labels(source, "valid").inc()
        purge(login, "replaced")
        try:
            redemption = broker.redeem(login.broker.token, code)
        except errors.ClerkSessionExpired as error:
            logins.remove(login.id)
            return _error(error, 401)
        except errors.BrokerError as error:
            REDEMPTIONS.labels(OUTCOMES.get(type(error), "error")).inc()
            audit.record(
                f"refused.{error.key.split('.')[-1]}",
                clerk=login.broker.username,
                agency=login.broker.agency_id,
                code=code,
                source=source,
            )
            status = (
                503
                if isinstance(error, errors.BrokerUnavailable)
                else (429 if isinstance(error, errors.RateLimited) else 409)
            )
            return _error(error, status)
        REDEMPTIONS.labels("ok").inc()
        login.viewing = Viewing(redemption, time.monotonic() + purge_after_s)
        audit.record(
            "viewed",
            clerk=login.broker.username,
            agency=login.broker.agency_id,
            transaction_id=redemption.transaction_id,
            dataset_ids=[d.id for d in redemption.datasets],
            code=code,
            source=source,
        )
        return jsonify({"redemption": redemption.model_dump(mode="json", by_alias=True), "purge_in_s": purge_after_s})

    @bp.post("/api/purge")
    def purge_now() -> tuple[Response, int] | Response:
        login = current()
        if login is None:
            return _error(errors.ClerkSessionExpired(), 401)
        purge(login, "done")
        return jsonify({"purged": True})

    @bp.get("/api/viewing")
    def viewing() -> tuple[Response, int] | Response:
        """Whether data is still on screen (the page asks after coming back from the background)."""
        login = current()
        if login is None:
            return _error(errors.ClerkSessionExpired(), 401)
        return jsonify({"viewing": login.viewing is not None})

    def purge(login: ClerkLogin, why: str) -> None:
        viewing = login.viewing
        if viewing is None:
            return
        login.viewing = None
        transaction = viewing.redemption.transaction_id
        audit.record(
            f"purged.{why}",
            clerk=login.broker.username,
            agency=login.broker.agency_id,
            transaction_id=transaction,
            dataset_ids=[d.id for d in viewing.redemption.datasets],
        )
        with contextlib.suppress(errors.BrokerError):  # the local purge is what matters
            broker.purge_ack(login.broker.token, transaction)

    bp.purge = purge  # type: ignore[attr-defined]  # used by the app's purge timer
    return bp


def purge_due(bp: Any, logins: ClerkSessions) -> int:
    due = logins.due_for_purge()
    for login in due:
        bp.purge(login, "timeout")
    return len(due)
