"""Protocol models: the JSON bodies of the broker API (``docs/broker-api.yaml``).

Shared by the client and the sandbox broker. Personal values (national IDs, dataset values) appear
only where the protocol needs them; ``repr`` of such models hides them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field, model_validator

from broker_client.models_catalogue import (
    Agency,
    Catalogue,
    Category,
    CounterService,
    Dataset,
    DatasetField,
    methods_for_all,
)
from broker_client.models_citizen import TermsDocument, TermsShown
from broker_client.protocol_base import LANGUAGE_TAG, Model, Text
from counter_core.identity import IdentityMethod

# the protocol's method names, listed once in counter_core.identity; the base model and texts, in protocol_base;
# the catalogue, in models_catalogue
__all__ = [
    "LANGUAGE_TAG", "Agency", "Catalogue", "Category", "CounterService", "Dataset", "DatasetField", "IdentityMethod",
    "Model", "TermsDocument", "TermsShown", "Text", "methods_for_all",
]  # fmt: skip
PushOutcome = Literal["pending", "approved", "denied", "wrong_number", "expired"]
QrOutcome = Literal["waiting", "scanned", "expired"]


# --- kiosk ------------------------------------------------------------------------------------------


class StartSession(Model):
    service_id: str


class KioskSession(Model):
    session_id: str
    service_id: str
    agency_id: str
    terms_version: str
    dataset_ids: list[str]
    expires_at: datetime
    code_ttl_s: int = Field(600, description="How long the data code works once issued.")
    view_window_s: int = Field(600, description="How long the clerk may see the data after scanning the code.")


class Consent(Model):
    terms_version: str
    dataset_ids: list[str]
    released_fields: dict[str, list[str]] | None = Field(
        None,
        description="The fields shown to the citizen per dataset (the service's `released_fields`); when given it "
        "must be exactly the service's, else 409 broker.consent.mismatch.",
    )
    terms_shown: TermsShown | None = Field(
        None,
        description="How the terms were shown to their end before the citizen agreed: scrolled through on "
        "screen, or read aloud by the audio guide. Kept with the consent record.",
    )


class Challenge(Model):
    challenge: str  # base64 of random bytes the card signs


class MoicaProof(Model):
    certificate: str  # base64 DER
    signature: str  # base64 DER ECDSA-SHA256 over the challenge bytes


class NationalIdBody(Model):
    national_id: str = Field(repr=False)


class NhiHousehold(Model):
    nhi_card_number: str = Field(repr=False)
    household_number: str = Field(repr=False)


class NhiCardPassword(Model):
    """健保卡 + the password the citizen registered for the NHI network service (健保卡網路服務註冊)."""

    nhi_card_number: str = Field(repr=False, description="Read from the card in the kiosk's reader.")
    password: str = Field(repr=False)


class MultiFactor(Model):
    """多因子 / 雙證件 without any card: national ID, birthday, NHI card number, and either the household
    number (seed 000) or the ID card's issue date (換補證日期, seed 001) — exactly one of the two."""

    national_id: str = Field(repr=False)
    birth_date: date = Field(repr=False, strict=True)
    nhi_card_number: str = Field(repr=False)
    household_number: str | None = Field(None, repr=False, description="戶口名簿戶號; or id_card_issue_date")
    id_card_issue_date: date | None = Field(
        None,
        repr=False,
        strict=True,
        description="換補證日期: the issue date printed on the national ID card; or household_number",
    )

    @model_validator(mode="after")
    def _one_of_household_or_issue_date(self) -> MultiFactor:
        if (self.household_number is None) == (self.id_card_issue_date is None):
            raise ValueError("give either household_number or id_card_issue_date")
        return self


class BankCardProof(Model):
    """晶片金融卡: the card's certificate and its signature over the broker's challenge, for the third-party
    verification centre, which also checks that the card's account belongs to ``national_id`` ("" = the ID this
    session's first method proved)."""

    national_id: str = Field(repr=False)
    certificate: str  # base64 DER
    signature: str  # base64 DER ECDSA-SHA256 over the challenge bytes


class OtpRequest(Model):
    national_id: str = Field(repr=False)
    phone: str | None = Field(
        None,
        repr=False,
        description="The mobile number the citizen typed. The broker sends the code only if it is the number on "
        "file (and the citizen has verified once with the citizen certificate) and answers the same either way. "
        "Deprecated form: without it the broker sends to the number on file and answers with it masked.",
    )


class OtpBody(Model):
    otp: str = Field(repr=False)


class OtpSent(Model):
    sent_to: str  # masked phone number, e.g. 0912-***-678: the typed one, or (deprecated form) the one on file


class IdentityStatus(Model):
    methods_passed: list[IdentityMethod]
    needs_another_method: bool
    reason_key: str = ""  # e.g. "broker.identity.first_use" when a second method is needed
    citizen_masked_id: str = ""  # A12****789, for the citizen to recognise


class PushStarted(Model):
    push_id: str
    match_number: str
    expires_at: datetime


class PushState(Model):
    push_id: str
    state: PushOutcome
    identity: IdentityStatus | None = None


class QrStarted(Model):
    qr_id: str
    payload: str = Field(repr=False, description="What the kiosk shows as a QR code: a link with a one-time token.")
    expires_at: datetime


class QrState(Model):
    qr_id: str
    state: QrOutcome
    push: PushStarted | None = Field(
        None,
        description="Once scanned: the push the app was sent, with the number the kiosk shows for number "
        "matching; follow it with GET …/push/{push_id}.",
    )


class IssuedCode(Model):
    code: str = Field(repr=False)
    qr_payload: str = Field(
        repr=False,
        description="The text of the receipt's QR: `MYDATA2:` + base45 of a COSE_Sign1 over the code's claims, "
        "signed with the broker's code key (byte by byte under `GET /code-keys`); the code alone stays in the "
        "Code128 and the printed digits. A broker before signed codes answers `MYDATA1:` + the 16 digits.",
    )
    expires_at: datetime
    agency: Text
    service: Text
    dataset_names: list[Text]
    support_line: str


# --- signed codes -----------------------------------------------------------------------------------

KID_PATTERN = r"^[0-9a-f]{16}$"


class CodeKey(Model):
    """One of the broker's Ed25519 keys that sign data codes, as a JWK-like entry (RFC 8037 ``OKP``)."""

    kid: str = Field(
        pattern=KID_PATTERN,
        description="The key id in the code's COSE header, hex: the first 8 bytes of SHA-256 over the raw public key.",
    )
    kty: Literal["OKP"] = "OKP"
    crv: Literal["Ed25519"] = "Ed25519"
    alg: Literal["EdDSA"] = "EdDSA"
    x: str = Field(pattern=r"^[A-Za-z0-9_-]{43}$", description="The raw 32-byte public key, base64url without padding.")
    state: Literal["current", "next", "retired"] = Field(
        description="`current` signs new codes; `next` will (published ahead, so stations have it before it "
        "signs); `retired` signed codes that may still be valid, and is published until the last of them expires."
    )
    signs_from: datetime = Field(description="The earliest issue time (`iat`) this key may have signed.")
    signs_until: datetime | None = Field(
        None, description="For a retired key: the latest issue time it signed. A code it signed later is refused."
    )


class CodeKeys(Model):
    keys: list[CodeKey] = Field(min_length=1)
    max_code_ttl_s: int = Field(ge=1, description="The longest validity the broker gives a code.")
    refresh_s: int = Field(
        ge=60,
        description="How long a station may use this list before asking again; a code with a key id not in it "
        "makes a station ask again at once (once).",
    )


# --- clerk ------------------------------------------------------------------------------------------


class ClerkLogin(Model):
    username: str
    password: str = Field(repr=False)


class ClerkSession(Model):
    token: str = Field(repr=False)
    clerk_name: str
    username: str
    agency_id: str
    agency: Text
    expires_at: datetime


REQUEST_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"


class RedeemBody(Model):
    code: str = Field(repr=False)
    request_id: str | None = Field(
        None,
        pattern=REQUEST_ID_PATTERN,
        description="The clerk page's name for this attempt. Sent again with the same id (the answer was lost), the "
        "broker gives the same redemption back within the view window and sends no second notice.",
    )


class RedeemedField(Model):
    key: str
    name: Text
    value: str = Field(repr=False)
    meaning: Text


class RedeemedDataset(Model):
    id: str
    name: Text
    source_agency: Text
    retrieved_at: datetime
    fields: list[RedeemedField] = Field(repr=False)


class Applicant(Model):
    """Who the data is about, for the clerk to match to the person at the counter."""

    name: str = Field(repr=False)
    masked_id: str  # A12****789


class Redemption(Model):
    transaction_id: str
    service: Text
    agency: Text
    identity_methods: list[IdentityMethod]
    applicant: Applicant | None = Field(None, repr=False)
    datasets: list[RedeemedDataset] = Field(repr=False)
    view_deadline: datetime


class PurgeAck(Model):
    transaction_id: str


class ErrorBody(Model):
    error: str  # message key, e.g. "broker.code.expired"
    message: Text
    retry_after_s: int | None = None
    tries_left: int | None = None
    # With broker.auth_failed: why the signature was refused (unsigned, malformed, unknown_terminal,
    # bad_signature, digest, stale, replayed), so a technician's tool can say what to fix.
    dataset_id: str | None = Field(None, description="The dataset a refused identity method may not release.")
    allowed_methods: list[IdentityMethod] | None = Field(
        None, description="With broker.identity.not_allowed: the methods that would do for the service."
    )
    # With broker.auth_failed: why the signature was refused (unsigned, malformed, unknown_terminal,
    # bad_signature, digest, stale, replayed), so a technician's tool can say what to fix.
    reason: str | None = None


class TerminalInfo(Model):
    """``GET /terminal``: who the broker takes the signing terminal for. An unknown terminal, a key other than
    the registered one or a stale signature never gets here: it is refused with 401 and a ``reason``."""

    terminal_id: str
    registered: bool
    server_time: datetime  # the broker's clock when it answered (the terminal's skew, without Date's 1 s steps)
