"""The broker's catalogue in the protocol: agencies, categories, datasets with their fields and the identity methods
that may release each (依驗證強度), and the counter services with the fields each receives (data minimisation).
Part of the protocol models (``broker_client.models`` re-exports them)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from broker_client.models_citizen import TermsDocument, check_released_fields
from broker_client.protocol_base import Model, Text
from counter_core.identity import METHOD_IDS, IdentityMethod


class DatasetField(Model):
    key: str
    name: Text
    meaning: Text


class Dataset(Model):
    id: str
    name: Text
    source_agency: Text
    allowed_methods: list[IdentityMethod] = Field(
        min_length=1,
        description="Identity methods any one of which may release this dataset (依驗證強度, seed 001's table "
        "「MyData提供的個人資料集 … 適用驗證方式」; see docs/broker.md for the datasets the table does not list).",
    )
    fields: list[DatasetField]


class CounterService(Model):
    id: str
    agency_id: str
    name: Text
    description: Text
    purpose: Text = Field(
        description="Why the receiving agency needs the data (the specific purpose the citizen consents to, "
        "個人資料保護法 §8), shown on the consent screen."
    )
    dataset_ids: list[str] = Field(min_length=1)
    released_fields: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Data minimisation: dataset id → the only field keys this service receives. A dataset not "
        "listed is released whole. The consent screen, the clerk's table and the citizen's e-mail show exactly "
        "these fields, and the broker releases nothing else.",
    )
    allowed_methods: list[IdentityMethod] = Field(
        description="The methods good for every dataset of the service (the intersection of their "
        "`allowed_methods`, computed by the broker): one of them must pass before a code is issued."
    )
    illustrative: bool = Field(
        False,
        description="Not a counter service the seed documents name: an example, and the kiosk says so.",
    )


class Agency(Model):
    id: str
    name: Text
    category: str
    services: list[CounterService]


class Category(Model):
    id: str
    name: Text


def methods_for_all(allowed: list[list[IdentityMethod]]) -> list[IdentityMethod]:
    """The methods every list allows, in ``METHODS`` order."""
    return [m for m in METHOD_IDS if all(m in methods for methods in allowed)]


def _unique(kind: str, ids: list[str]) -> None:
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValueError(f"{kind} ids used twice: {twice}")


class Catalogue(Model):
    terms_version: str
    terms: TermsDocument
    support_line: str
    categories: list[Category]
    agencies: list[Agency]
    datasets: list[Dataset]

    @model_validator(mode="before")
    @classmethod
    def _fill_service_methods(cls, data: Any) -> Any:
        """A service's ``allowed_methods`` is derived, so a catalogue file leaves it out and it is computed
        here, once; a catalogue that states it (the broker's answer) is checked against it below."""
        if not isinstance(data, dict) or not isinstance(data.get("agencies"), list):
            return data
        allowed = {d.get("id"): d.get("allowed_methods") for d in data.get("datasets") or [] if isinstance(d, dict)}

        def with_methods(service: Any) -> Any:
            if not isinstance(service, dict) or "allowed_methods" in service:
                return service
            lists = [allowed.get(i) for i in service.get("dataset_ids") or []]
            known = [m for m in lists if isinstance(m, list)]
            return {**service, "allowed_methods": methods_for_all(known) if len(known) == len(lists) else []}

        agencies = [
            {**a, "services": [with_methods(s) for s in a["services"]]}
            if isinstance(a, dict) and isinstance(a.get("services"), list)
            else a
            for a in data["agencies"]
        ]
        return {**data, "agencies": agencies}

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        """Every reference resolves and every service can be released by at least one method; each error
        names the entry."""
        _unique("category", [c.id for c in self.categories])
        _unique("agency", [a.id for a in self.agencies])
        _unique("dataset", [d.id for d in self.datasets])
        _unique("service", [s.id for a in self.agencies for s in a.services])
        if self.terms.version != self.terms_version:
            raise ValueError(f"terms.version {self.terms.version!r} is not terms_version {self.terms_version!r}")
        categories = {c.id for c in self.categories}
        datasets = {d.id: d for d in self.datasets}
        for dataset in self.datasets:
            _unique(f"field (dataset {dataset.id!r})", [f.key for f in dataset.fields])
            if len(set(dataset.allowed_methods)) != len(dataset.allowed_methods):
                raise ValueError(f"dataset {dataset.id!r}: a method is listed twice in allowed_methods")
        for agency in self.agencies:
            if agency.category not in categories:
                raise ValueError(f"agency {agency.id!r}: unknown category {agency.category!r}")
            for service in agency.services:
                where = f"service {service.id!r} (agency {agency.id!r})"
                if service.agency_id != agency.id:
                    raise ValueError(f"{where}: agency_id is {service.agency_id!r}, listed under {agency.id!r}")
                unknown = [i for i in service.dataset_ids if i not in datasets]
                if unknown:
                    raise ValueError(f"{where}: unknown datasets {unknown}")
                _unique(f"dataset (in {where})", service.dataset_ids)
                check_released_fields(where, service, datasets)
                expected = methods_for_all([datasets[i].allowed_methods for i in service.dataset_ids])
                if not expected:
                    raise ValueError(f"{where}: no identity method may release all of {service.dataset_ids}")
                if service.allowed_methods != expected:
                    raise ValueError(f"{where}: allowed_methods must be {expected}, the methods every dataset allows")
        return self

    def service(self, service_id: str) -> CounterService | None:
        return next((s for a in self.agencies for s in a.services if s.id == service_id), None)

    def agency(self, agency_id: str) -> Agency | None:
        return next((a for a in self.agencies if a.id == agency_id), None)

    def dataset(self, dataset_id: str) -> Dataset | None:
        return next((d for d in self.datasets if d.id == dataset_id), None)

    def released(self, service: CounterService, dataset: Dataset) -> list[DatasetField]:
        """The fields of ``dataset`` that ``service`` receives (data minimisation), in the dataset's order."""
        keys = service.released_fields.get(dataset.id)
        return [f for f in dataset.fields if keys is None or f.key in keys]
