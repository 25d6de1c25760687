"""The broker API as an OpenAPI 3.1 document, built from the protocol models.

``docs/broker-api.yaml`` is this document as committed; a test fails when the models and the
committed spec drift apart (regenerate with ``make openapi``), and schemathesis checks the
running sandbox against it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from broker_client import models as m
from broker_client import models_citizen as c
from broker_client.errors import STATUS_BY_KEY

REF = "#/components/schemas/{model}"
_ERROR_STATUSES = sorted({str(code) for code in STATUS_BY_KEY.values()} | {"401"})

# (method, path, summary, request model, success status, response model, tag)
# fmt: off
Operation = tuple[str, str, str, type[BaseModel] | None, int, type[BaseModel] | None, str]
OPERATIONS: list[Operation] = [
    ("get", "/terminal", "Who am I: the signing terminal's id as the broker knows it, and the broker's time", None, 200, m.TerminalInfo, "terminal"),
    ("get", "/catalogue", "Agencies, counter services, datasets and field meanings", None, 200, m.Catalogue, "catalogue"),
    ("post", "/kiosk/sessions", "Start a kiosk session for a counter service", m.StartSession, 201, m.KioskSession, "kiosk"),
    ("delete", "/kiosk/sessions/{session_id}", "Cancel a kiosk session", None, 204, None, "kiosk"),
    ("post", "/kiosk/sessions/{session_id}/consent", "Record consent to terms and datasets", m.Consent, 204, None, "kiosk"),
    ("post", "/kiosk/sessions/{session_id}/moica/challenge", "Challenge for the citizen certificate card", None, 200, m.Challenge, "identity"),
    ("post", "/kiosk/sessions/{session_id}/moica/verify", "Card certificate and signature over the challenge", m.MoicaProof, 200, m.IdentityStatus, "identity"),
    ("post", "/kiosk/sessions/{session_id}/push", "Push to the citizen's mobile certificate app", m.NationalIdBody, 201, m.PushStarted, "identity"),
    ("get", "/kiosk/sessions/{session_id}/push/{push_id}", "State of a push", None, 200, m.PushState, "identity"),
    ("post", "/kiosk/sessions/{session_id}/bank_card/challenge", "Challenge for the chip bank card", None, 200, m.Challenge, "identity"),
    ("post", "/kiosk/sessions/{session_id}/bank_card/verify", "Chip bank card certificate and signature, checked by the verification centre", m.BankCardProof, 200, m.IdentityStatus, "identity"),
    ("post", "/kiosk/sessions/{session_id}/nhi_card", "NHI card + its network-service password", m.NhiCardPassword, 200, m.IdentityStatus, "identity"),
    ("post", "/kiosk/sessions/{session_id}/nhi", "NHI card number (read from the card) + household number", m.NhiHousehold, 200, m.IdentityStatus, "identity"),
    ("post", "/kiosk/sessions/{session_id}/multi_factor", "Multi-factor without a card: ID, birthday, NHI card number, household number or ID card issue date", m.MultiFactor, 200, m.IdentityStatus, "identity"),
    ("post", "/kiosk/sessions/{session_id}/otp", "Send an SMS one-time password", m.OtpRequest, 200, m.OtpSent, "identity"),
    ("post", "/kiosk/sessions/{session_id}/otp/verify", "Check the one-time password", m.OtpBody, 200, m.IdentityStatus, "identity"),
    ("post", "/kiosk/sessions/{session_id}/qr", "A short-lived QR code that starts a mobile-certificate sign-in (no ID typed)", None, 201, m.QrStarted, "identity"),
    ("get", "/kiosk/sessions/{session_id}/qr/{qr_id}", "State of a QR sign-in: waiting, scanned (with its push) or expired", None, 200, m.QrState, "identity"),
    ("get", "/kiosk/sessions/{session_id}/contact", "The citizen's contacts for notices, masked", None, 200, c.ContactStatus, "citizen"),
    ("post", "/kiosk/sessions/{session_id}/contact/code", "Send a code to prove a mobile number or e-mail address", c.ContactCodeRequest, 200, c.ContactCodeSent, "citizen"),
    ("post", "/kiosk/sessions/{session_id}/contact/verify", "Prove the contact with its code", c.ContactVerify, 200, c.ContactStatus, "citizen"),
    ("post", "/kiosk/sessions/{session_id}/contact/primary", "Choose where notices go (a verified contact)", c.ContactPrimary, 200, c.ContactStatus, "citizen"),
    ("get", "/kiosk/sessions/{session_id}/records", "Records of use (使用紀錄) of the last 12 months, without values", None, 200, c.UsageRecords, "citizen"),
    ("post", "/kiosk/sessions/{session_id}/code", "Issue the data code", None, 201, m.IssuedCode, "kiosk"),
    ("post", "/clerk/login", "Clerk login (agency account)", m.ClerkLogin, 200, m.ClerkSession, "clerk"),
    ("post", "/clerk/logout", "Clerk logout", None, 204, None, "clerk"),
    ("post", "/clerk/redeem", "Redeem a data code: the citizen's data for this agency", m.RedeemBody, 200, m.Redemption, "clerk"),
    ("get", "/clerk/redemptions/{request_id}", "What the redemption sent with this request id got (its answer was lost)", None, 200, m.Redemption, "clerk"),
    ("post", "/clerk/purge", "Acknowledge that the shown data was purged", m.PurgeAck, 204, None, "clerk"),
]
# fmt: on

IDENTITY_RULES = (
    "Identity rules: the first method of a session must be one the service allows (`allowed_methods` of the "
    "service in the catalogue, the methods every dataset allows), else 403 `broker.identity.not_allowed` with "
    "`dataset_id` and `allowed_methods`, and nothing is checked. On a citizen's first use a second method on a "
    "different credential is needed (`needs_another_method`); it may be any other method. Failed checks count "
    "per terminal (429 `broker.identity.rate_limited`) and per citizen and credential (429 "
    "`broker.identity.locked`), both with `retry_after_s` and Retry-After."
)
DESCRIPTIONS = {
    "/kiosk/sessions/{session_id}/code": (
        "One code per session. Asked again (the answer was lost), the same code is answered, with its first "
        "expiry; after that expiry 410 `broker.session.expired`."
    ),
    "/clerk/redeem": (
        "With `request_id` the redemption is repeatable: the same id from the same clerk login's station gets the "
        "same redemption again within the view window (no second notice to the citizen), so a clerk station that "
        "lost the answer may send it again. Wrong codes count per station and clerk (429 `broker.rate_limited`, "
        "then `broker.locked_out`)."
    ),
    "/clerk/redemptions/{request_id}": (
        "404 `broker.not_found` if nothing was redeemed with this id by this clerk at this station (or its view "
        "window has ended)."
    ),
    "/kiosk/sessions/{session_id}/otp": (
        "Open only to a citizen who verified once with the citizen certificate (card or app). With `phone` the "
        "code goes only to the number on file, and the answer (the typed number, masked) is the same whether it "
        "matched or not. Without `phone` (deprecated, for kiosks before this version): the number on file, masked, "
        "or 403 `broker.otp.not_enrolled`."
    ),
    "/kiosk/sessions/{session_id}/nhi_card": (
        "Three wrong passwords in a row lock the password like a PIN (429 `broker.nhi_card.locked`); an NHI card "
        "never registered for the network service gets 403 `broker.nhi_card.not_registered`."
    ),
    "/kiosk/sessions/{session_id}/qr": (
        "The QR carries a link with a one-time token bound to this session and terminal; it lives 60 s. The citizen's "
        "mobile-certificate app scans it and is sent a push with number matching for this session; a scanned, "
        "expired or foreign QR starts nothing. Follow it with GET …/qr/{qr_id}, then the push."
    ),
    "/kiosk/sessions/{session_id}/bank_card/verify": (
        "The sandbox plays the third-party verification centre: the certificate must come from its card issuer, "
        "the signature must verify over the challenge, and the card's account must belong to `national_id`."
    ),
}

CITIZEN_RULES = (
    "Only once the session's identity check is complete (first use: both methods), else 409 "
    '`broker.identity.required`; it concerns the citizen that check proved. Notices ("your data was accessed") '
    "go only to the verified primary contact. A contact code lives 10 minutes and allows 3 wrong tries "
    "(`broker.contact.code_wrong` with `tries_left`, then `broker.contact.code_used_up`); 5 codes per citizen an "
    "hour (429 `broker.contact.codes_limited`). Records of use never carry values."
)

_MODELS: list[type[BaseModel]] = [
    m.Catalogue, m.StartSession, m.KioskSession, m.Consent, m.Challenge, m.MoicaProof, m.NationalIdBody,
    m.NhiHousehold, m.NhiCardPassword, m.MultiFactor, m.BankCardProof, m.OtpRequest, m.OtpBody, m.OtpSent,
    m.IdentityStatus, m.PushStarted, m.PushState, m.IssuedCode, m.QrStarted, m.QrState,
    c.ContactStatus, c.ContactCodeRequest, c.ContactCodeSent, c.ContactVerify, c.ContactPrimary, c.UsageRecords,
    m.ClerkLogin, m.ClerkSession, m.RedeemBody, m.Redemption, m.PurgeAck, m.ErrorBody, m.TerminalInfo,
]  # fmt: skip


_PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    "session_id": {"type": "string", "minLength": 1},
    "push_id": {"type": "string", "minLength": 1},
    "qr_id": {"type": "string", "minLength": 1},
    "request_id": {"type": "string", "pattern": m.REQUEST_ID_PATTERN},
}


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in _MODELS:
        schema = model.model_json_schema(ref_template=REF, by_alias=True)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": REF.format(model=ref)}}}


def _error_response(code: str) -> dict[str, Any]:
    response: dict[str, Any] = {"description": "Error (see `error`, a message key)", "content": _json("ErrorBody")}
    if code == "429":
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait (RFC 9110); the same number as `retry_after_s` in the body.",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    return response


def build_spec() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for method, path, summary, request, status, response, tag in OPERATIONS:
        operation: dict[str, Any] = {
            "summary": summary,
            "operationId": f"{method}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
            "tags": [tag],
            "responses": {
                str(status): {"description": "OK", **({"content": _json(response.__name__)} if response else {})},
                **{code: _error_response(code) for code in _ERROR_STATUSES if code != str(status)},
            },
        }  # fmt: skip
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": dict(schema)}
            for name, schema in _PATH_PARAMETERS.items() if "{" + name + "}" in path
        ]  # fmt: skip
        notes = [DESCRIPTIONS.get(path)]
        if path.startswith("/clerk/") and path != "/clerk/login":
            notes.insert(0, "Needs the clerk's bearer token (Authorization: Bearer …) from /clerk/login.")
        if tag == "identity" and method == "post":
            notes.append(IDENTITY_RULES)
        if tag == "citizen":
            notes.append(CITIZEN_RULES)
        if any(notes):
            operation["description"] = " ".join(filter(None, notes))
        if parameters:
            operation["parameters"] = parameters
        if request is not None:
            operation["requestBody"] = {"required": True, "content": _json(request.__name__)}
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MyData counter verification broker API",
            "version": "1.0.0",
            "description": (
                "The protocol between counter terminals (kiosks, clerk stations) and the MyData broker. "
                "Every request is signed with the terminal's Ed25519 key per RFC 9421 (HTTP Message Signatures): "
                "covered components @method, @authority, @target-uri and content-digest; parameters created, "
                "keyid (the terminal id), alg=ed25519 and a unique nonce. Unsigned and unknown-key requests, a "
                "`created` more than 60 s from the broker's clock either way, and a nonce seen before (the broker "
                "keeps them across restarts) get 401 with a reason (`reason`). Errors carry a message key (`error`) and zh-TW/en text."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            # Documented, not declared per operation: RFC 9421 signatures are outside what OpenAPI 3.1 can
            # express, and fuzzers would otherwise "test" them by dropping a header the client always adds.
            "securitySchemes": {
                "terminalSignature": {
                    "type": "apiKey", "in": "header", "name": "Signature",
                    "description": "RFC 9421 signature (with its Signature-Input and Content-Digest headers).",
                },
                "clerkToken": {"type": "http", "scheme": "bearer", "description": "From /clerk/login."},
            },
            "schemas": _schemas(),
        },
    }  # fmt: skip
