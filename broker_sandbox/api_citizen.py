"""The broker API's operations for the citizen's own protections, on the API blueprint (``api.py``): the contact
for notices, the records of use, and the QR that starts a phone sign-in. Thin, like ``api.py``: request →
flow call → JSON."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, g, request

from broker_client.models_citizen import ContactCodeRequest, ContactPrimary, ContactVerify
from broker_sandbox.contacts import Contacts
from broker_sandbox.qr_signin import QrSignIn
from broker_sandbox.usage import Usage


@dataclass(frozen=True)
class CitizenServices:
    contacts: Contacts
    usage: Usage
    qr: QrSignIn


def citizen_routes(
    bp: Blueprint, citizen: CitizenServices, read: Callable[[Any], Any], json: Callable[..., Response]
) -> None:
    """``read`` and ``json``: api.py's body parser and JSON answer, so every operation parses alike."""

    @bp.get("/kiosk/sessions/<session_id>/contact")
    def contact_status(session_id: str) -> Response:
        return json(citizen.contacts.status(g.terminal, session_id))

    @bp.post("/kiosk/sessions/<session_id>/contact/code")
    def contact_code(session_id: str) -> Response:
        asked: ContactCodeRequest = read(ContactCodeRequest)
        return json(citizen.contacts.send_code(g.terminal, session_id, asked.kind, asked.address))

    @bp.post("/kiosk/sessions/<session_id>/contact/verify")
    def contact_verify(session_id: str) -> Response:
        given: ContactVerify = read(ContactVerify)
        return json(citizen.contacts.verify(g.terminal, session_id, given.kind, given.code))

    @bp.post("/kiosk/sessions/<session_id>/contact/primary")
    def contact_primary(session_id: str) -> Response:
        chosen: ContactPrimary = read(ContactPrimary)
        return json(citizen.contacts.set_primary(g.terminal, session_id, chosen.kind))

    @bp.get("/kiosk/sessions/<session_id>/records")
    def records(session_id: str) -> Response:
        _session, national_id = citizen.contacts.verified_citizen(g.terminal, session_id)
        return json(citizen.usage.records(national_id))

    @bp.post("/kiosk/sessions/<session_id>/qr")
    def qr_start(session_id: str) -> Response:
        return json(citizen.qr.start(g.terminal, session_id, request.host_url), 201)

    @bp.get("/kiosk/sessions/<session_id>/qr/<qr_id>")
    def qr_state(session_id: str, qr_id: str) -> Response:
        return json(citizen.qr.state(g.terminal, session_id, qr_id))
