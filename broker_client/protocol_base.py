"""The protocol's base: frozen models that refuse unknown fields, and texts in the interface languages."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, RootModel, model_validator


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
