"""Protocol models of the citizen's own protections (``docs/broker-api.yaml``, tags ``citizen`` and ``identity``):
the terms the citizen consents to and the fields a service may receive (data minimisation), the contact notices go
to, and the records of use (使用紀錄). Apart from ``models`` only to keep each module readable; the same conventions
hold (``repr`` hides personal values)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from broker_client.protocol_base import Model, Text

if TYPE_CHECKING:
    from broker_client.models import CounterService, Dataset

ContactKind = Literal["phone", "email"]
TermsShown = Literal["scrolled", "read_aloud"]


class TermsDocument(Model):
    """The platform's terms of service and privacy policy the citizen agrees to, versioned: a consent names the
    version it was given to, and a newer version is asked for again."""

    version: str
    effective: date
    title: Text
    legal_basis: Text = Field(description="Why the data may be released: the data subject's consent (個資法 §15, §16).")
    terms_of_service: Text = Field(description="Paragraphs separated by blank lines.")
    privacy_policy: Text = Field(description="Paragraphs separated by blank lines.")


def check_released_fields(where: str, service: CounterService, datasets: dict[str, Dataset]) -> None:
    for dataset_id, keys in service.released_fields.items():
        if dataset_id not in service.dataset_ids:
            raise ValueError(f"{where}: released_fields names {dataset_id!r}, not one of its datasets")
        known = {f.key for f in datasets[dataset_id].fields}
        unknown = [k for k in keys if k not in known]
        if not keys or unknown or len(set(keys)) != len(keys):
            raise ValueError(f"{where}: released_fields[{dataset_id!r}] must list fields of the dataset once each")


# --- the citizen's own: contact for notices, records of use -----------------------------------------


class ContactStatus(Model):
    """Where the citizen's notices go: the contacts they registered and proved, masked. Notices ("your data was
    accessed") go only to the verified ``primary``; with none, no notice is sent."""

    phone: str | None = Field(None, description="The verified mobile number, masked (0912-***-678).")
    email: str | None = Field(None, description="The verified e-mail address, masked (c***@example.tw).")
    primary: ContactKind | None = Field(None, description="Where notices go; always a verified contact.")
    pending: ContactKind | None = Field(None, description="A code was sent to a new contact of this kind.")
    first_registration: bool = Field(description="The citizen has never registered a contact: ask them now.")


class ContactCodeRequest(Model):
    kind: ContactKind
    address: str = Field(repr=False, max_length=254, description="A mobile number (09xxxxxxxx) or e-mail address.")


class ContactCodeSent(Model):
    kind: ContactKind
    sent_to: str  # masked
    expires_at: datetime
    tries: int = Field(description="Wrong codes allowed before a new code must be asked for.")


class ContactVerify(Model):
    kind: ContactKind
    code: str = Field(repr=False, max_length=16)


class ContactPrimary(Model):
    kind: ContactKind


class UsageDataset(Model):
    id: str
    name: Text
    fields: list[Text] = Field(description="The names of the fields released (never their values).")


class UsageRecord(Model):
    transaction_id: str = Field(description="As the citizen's notice carried it.")
    accessed_at: datetime
    agency: Text
    service: Text
    datasets: list[UsageDataset]


class UsageRecords(Model):
    """使用紀錄: who saw which of the citizen's datasets and when, newest first — never the values."""

    since: datetime
    records: list[UsageRecord]
