"""The catalogue as protocol models, built once from ``catalogue_data``."""

from __future__ import annotations

from functools import cached_property

from broker_client.models import Agency, Catalogue, Category, CounterService, Dataset, DatasetField, Text
from broker_sandbox import catalogue_data as data


def _text(zh: str, en: str) -> Text:
    return Text.model_validate({"zh-TW": zh, "en": en})


class Catalogues:
    @cached_property
    def catalogue(self) -> Catalogue:
        datasets = [
            Dataset(id=dataset_id, name=_text(zh, en), source_agency=_text(src_zh, src_en),
                    fields=[DatasetField(key=k, name=_text(nz, ne), meaning=_text(mz, me))
                            for k, nz, ne, mz, me in fields])
            for dataset_id, (zh, en, src_zh, src_en, fields) in data.DATASETS.items()
        ]  # fmt: skip
        agencies = [
            Agency(id=agency_id, name=_text(zh, en), category=category,
                   services=[CounterService(id=sid, agency_id=agency_id, name=_text(nz, ne),
                                            description=_text(dz, de), dataset_ids=ids)
                             for sid, nz, ne, dz, de, ids in services])
            for agency_id, (zh, en, category, services) in data.AGENCIES.items()
        ]  # fmt: skip
        categories = [Category(id=cid, name=_text(zh, en)) for cid, (zh, en) in data.CATEGORIES.items()]
        return Catalogue(
            terms_version=data.TERMS_VERSION,
            support_line=data.SUPPORT_LINE,
            categories=categories,
            agencies=agencies,
            datasets=datasets,
        )

    @cached_property
    def _services(self) -> dict[str, CounterService]:
        return {s.id: s for a in self.catalogue.agencies for s in a.services}

    def service(self, service_id: str) -> CounterService | None:
        return self._services.get(service_id)
