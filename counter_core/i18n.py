"""User-facing text: one catalogue per language, split into one JSON file per area.

``messages/languages.json`` lists the interface languages once (zh-TW first and required, the others
optional); ``messages/<lang>/<area>.json`` maps keys to text with ``{name}`` placeholders. A key missing in
a language falls back to zh-TW. Text is never built from exception messages; code raises errors carrying a
key, and the UI looks the key up here. A new language = one entry in languages.json + its folder.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

DEFAULT_LANGUAGE: Final = "zh-TW"
_ROOT = Path(__file__).parent / "messages"


@dataclass(frozen=True)
class LanguageInfo:
    tag: str  # BCP 47, as pages and the protocol's texts carry it
    name: str  # in the language itself, for the welcome screen
    short: str  # for the header's switch


@cache
def language_list() -> tuple[LanguageInfo, ...]:
    entries = json.loads((_ROOT / "languages.json").read_text(encoding="utf-8"))
    found = tuple(LanguageInfo(e["tag"], e["name"], e.get("short", e["name"])) for e in entries)
    if not found or found[0].tag != DEFAULT_LANGUAGE:
        raise ValueError(f"{_ROOT / 'languages.json'}: {DEFAULT_LANGUAGE} must come first")
    missing = [info.tag for info in found if not (_ROOT / info.tag).is_dir()]
    if missing:
        raise ValueError(f"{_ROOT}: no message folder for {missing}")
    return found


def languages() -> tuple[str, ...]:
    """The interface languages' tags, zh-TW first."""
    return tuple(info.tag for info in language_list())


def use_root(root: Path) -> None:
    """Read messages from another folder (tests that add a language); forgets what was read."""
    global _ROOT
    _ROOT = root
    language_list.cache_clear()
    catalogue.cache_clear()


@cache
def catalogue(language: str) -> dict[str, str]:
    """All keys of one language, merged from every area file."""
    if language not in languages():
        raise ValueError(f"unsupported language {language!r}; use one of {languages()}")
    merged: dict[str, str] = {}
    for path in sorted((_ROOT / language).glob("*.json")):
        area = json.loads(path.read_text(encoding="utf-8"))
        duplicated = merged.keys() & area.keys()
        if duplicated:
            raise ValueError(f"{path}: keys defined twice: {sorted(duplicated)}")
        merged.update(area)
    return merged


def translate(key: str, language: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The text for ``key`` in ``language``; falls back to zh-TW, then to the key itself. A parameter given
    as a language → text mapping (a dataset's name, say) is filled in that language (zh-TW if it lacks it)."""
    lang = language if language in languages() else DEFAULT_LANGUAGE
    text = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    if isinstance(params.get("retry_after_s"), int | float):  # a wait of minutes is said in minutes
        params = {**params, "retry_after_min": max(1, -(-int(params["retry_after_s"]) // 60))}  # type: ignore[call-overload]
    filled = {
        name: (value.get(lang) or value.get(DEFAULT_LANGUAGE, "")) if isinstance(value, Mapping) else value
        for name, value in params.items()
    }
    try:
        return text.format(**filled)
    except (KeyError, IndexError, ValueError):
        return text


def bilingual(key: str, **params: object) -> str:
    """``zh-TW text / en text``, for terminals and logs read by technicians."""
    return f"{translate(key, 'zh-TW', **params)} / {translate(key, 'en', **params)}"


def has_message(key: str) -> bool:
    return key in catalogue(DEFAULT_LANGUAGE)


def every_language(key: str, **params: object) -> dict[str, str]:
    """The text in every interface language (``{"zh-TW": …, "en": …}``): how messages travel to pages,
    which pick by their language."""
    return {language: translate(key, language, **params) for language in languages()}


def subset(prefixes: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """The keys starting with ``prefixes`` in every language, for a page's own catalogue."""
    return {lang: {k: v for k, v in catalogue(lang).items() if k.startswith(prefixes)} for lang in languages()}


def page_languages() -> list[dict[str, str]]:
    """The language list as pages get it (their switches are drawn from it)."""
    return [{"tag": info.tag, "name": info.name, "short": info.short} for info in language_list()]
