"""Protocol models: the JSON bodies of the broker API (``docs/broker-api.yaml``).

Shared by the client and the sandbox broker. Personal values (national IDs, dataset values) appear
only where the protocol needs them; ``repr`` of such models hides them.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

from counter_core.identity import IdentityMethod

__all__ = ["IdentityMethod"]  # the protocol's method names, listed once in counter_core.identity
PushOutcome = Literal["pending", "approved", "denied", "expired"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


LANGUAGE_TAG = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"


class Text(RootModel[dict[str, str]]):
    """A text in the interface languages: language tag → text. zh-TW is always there; other languages are
    optional, and a reader without its language falls back to zh-TW (a new language never breaks the
    protocol)."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "description": "A text in the interface languages: language tag → text. zh-TW is always there; other "
            "languages are optional, and a reader without its language falls back to zh-TW.",
            "required": ["zh-TW"],
            "propertyNames": {"pattern": LANGUAGE_TAG},
            "examples": [{"zh-TW": "花蓮縣政府", "en": "Hualien County Government"}],
        },
    )

    @model_validator(mode="after")
    def _has_zh_tw(self) -> Text:
        if "zh-TW" not in self.root:
            raise ValueError("a text needs its zh-TW form")
        if not all(re.fullmatch(LANGUAGE_TAG, tag) for tag in self.root):
            raise ValueError("keys are language tags such as zh-TW or en")
        return self

    def get(self, language: str) -> str:
        return self.root.get(language) or self.root["zh-TW"]


class DatasetField(Model):
    key: str
    name: Text
    meaning: Text


class Dataset(Model):
    id: str
    name: Text
    source_agency: Text
    fields: list[DatasetField]


class CounterService(Model):
    id: str
    agency_id: str
    name: Text
    description: Text
    dataset_ids: list[str]


class Agency(Model):
    id: str
    name: Text
    category: str
    services: list[CounterService]


class Category(Model):
    id: str
    name: Text


class Catalogue(Model):
    terms_version: str
    support_line: str
    categories: list[Category]
    agencies: list[Agency]
    datasets: list[Dataset]

    def service(self, service_id: str) -> CounterService | None:
        return next((s for a in self.agencies for s in a.services if s.id == service_id), None)

    def agency(self, agency_id: str) -> Agency | None:
        return next((a for a in self.agencies if a.id == agency_id), None)

    def dataset(self, dataset_id: str) -> Dataset | None:
        return next((d for d in self.datasets if d.id == dataset_id), None)


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


class Consent(Model):
    terms_version: str
    dataset_ids: list[str]


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


class OtpBody(Model):
    otp: str = Field(repr=False)


class OtpSent(Model):
    sent_to: str  # masked phone number, e.g. 0912-***-678


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


class IssuedCode(Model):
    code: str = Field(repr=False)
    qr_payload: str = Field(repr=False)
    expires_at: datetime
    agency: Text
    service: Text
    dataset_names: list[Text]
    support_line: str


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


class RedeemBody(Model):
    code: str = Field(repr=False)


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


class Redemption(Model):
    transaction_id: str
    service: Text
    agency: Text
    identity_methods: list[IdentityMethod]
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
    reason: str | None = None


class TerminalInfo(Model):
    """``GET /terminal``: who the broker takes the signing terminal for. An unknown terminal, a key other than
    the registered one or a stale signature never gets here: it is refused with 401 and a ``reason``."""

    terminal_id: str
    registered: bool
    server_time: datetime  # the broker's clock when it answered (the terminal's skew, without Date's 1 s steps)
